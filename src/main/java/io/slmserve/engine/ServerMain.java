package io.slmserve.engine;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The packaged server's entry point: Quarkus's own, after starting the libtorch preload beside its boot. While the
 * build writes the AppCDS archive (quarkus.appcds.generate: Quarkus exits once its beans exist), the preload is
 * waited for, so DJL's classes are in the archive and the exit never races a library load.
 */
@QuarkusMain
public final class ServerMain {

    private ServerMain() {
    }

    public static void main(String... args) {
        LibtorchPreload.start();
        if (Boolean.getBoolean("quarkus.appcds.generate")) {
            LibtorchPreload.await();
        }
        Quarkus.run(args);
    }
}
