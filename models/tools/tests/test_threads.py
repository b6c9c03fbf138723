"""slmtorch.threads.set_threads holds OpenBLAS's own pool to the count torch is given (torch.set_num_threads
alone leaves it at the core count on Debian's torch 1.13)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import torch  # noqa: E402

from slmtorch import threads  # noqa: E402


class SetThreads(unittest.TestCase):
    def test_openblas_follows(self):
        lib = threads.openblas()
        if lib is None:
            self.skipTest("this torch does not use OpenBLAS")
        before = torch.get_num_threads()
        try:
            for n in (1, 2):
                threads.set_threads(n)
                self.assertEqual(torch.get_num_threads(), n)
                self.assertEqual(lib.openblas_get_num_threads(), n)
        finally:
            threads.set_threads(before)


if __name__ == "__main__":
    unittest.main()
