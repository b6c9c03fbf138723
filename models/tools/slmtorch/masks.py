"""The encoders' attention mask rule, shared by roberta.py and distilbert.py (bert.py keeps its own copy in
``BertModel.extended_mask``: editing bert.py would change the bytes of the committed BERT archives, whose
TorchScript debug tables hold that file's source)."""
from typing import Optional

import torch
from torch import Tensor


def additive_mask(attention_mask: Tensor, dt: torch.dtype) -> Optional[Tensor]:
    """None when no row is padded (unmasked attention), else ``(1 - mask) * MIN`` as ``[B, 1, 1, T]`` in ``dt``."""
    if bool((attention_mask == 1).all()):
        return None
    big = -3.4028234663852886e38
    if dt == torch.float16:
        big = -65504.0
    elif dt == torch.bfloat16:
        big = -3.3895313892515355e38
    m = attention_mask[:, None, None, :].to(dt)
    return (1.0 - m) * big
