package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelTask;
import io.slmserve.testing.GptFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A decoder archive from an older converter (no forward_mixed) is refused at load, naming the fix. */
class TorchDecoderLoaderTest {

    @Test
    void anArchiveWithoutForwardMixedIsRefusedWithTheUpgradeCommand(@TempDir Path dir) throws Exception {
        for (String file : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(GptFolder.dir().resolve(file), dir.resolve(file));
        }
        Path script = Path.of("src/test/resources/faults/decoder_without_forward_mixed.py").toAbsolutePath();
        Process python = new ProcessBuilder("/usr/bin/python3", script.toString(), dir.resolve("model.pt").toString())
                .redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes());
        assertEquals(0, python.waitFor(), output);
        ModelSpec spec = new ModelSpec("older", dir, ModelTask.TEXT_GENERATION, 4, Duration.ZERO, 4096, 8, 1, 1, 128,
                Map.of(), 256);
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> new TorchDecoderLoader(new HalfPrecisionEncoderTest.EngineDefaults()).load(spec));
        assertTrue(e.getMessage().contains("no method forward_mixed"), e.getMessage());
        assertTrue(e.getMessage().contains("convert_gpt2.py upgrade --dir " + dir), e.getMessage());
    }
}
