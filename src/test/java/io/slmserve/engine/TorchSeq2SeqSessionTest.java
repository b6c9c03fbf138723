package io.slmserve.engine;

import io.slmserve.testing.BartFolder;
import java.nio.file.Path;

/** The session checks of {@link Seq2SeqSessionChecks} on BART (models/nano-bart or test.bart-dir). */
class TorchSeq2SeqSessionTest extends Seq2SeqSessionChecks {

    @Override
    Path folder() {
        return BartFolder.dir();
    }
}
