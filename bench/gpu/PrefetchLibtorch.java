import ai.djl.engine.Engine;
import ai.djl.util.Utils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Fills the DJL cache at image build time, so that the server starts offline (it sets ai.djl.offline=true).
 *
 * <p>Run with the application's class path, as a single-file program (JDK 11+):
 * {@code java -cp 'target/quarkus-app/lib/boot/*:target/quarkus-app/lib/main/*' bench/gpu/PrefetchLibtorch.java}.
 * {@code DJL_CACHE_DIR} says where the cache goes.
 *
 * <ul>
 *   <li>CPU flavour (pytorch-native-cpu on the class path): starting the engine extracts libtorch and the JNI
 *       library into {@code $DJL_CACHE_DIR/pytorch/2.7.1-cpu-linux-x86_64/}. The engine must start.
 *   <li>GPU flavour (no native jar, {@code PYTORCH_FLAVOR=cu128}): starting the engine makes DJL download the
 *       CUDA build of libtorch into {@code $DJL_CACHE_DIR/pytorch/2.7.1-cu128-linux-x86_64/}. Loading it may then
 *       fail on a build machine without an NVIDIA driver (libcuda.so.1); that is accepted as long as libtorch.so
 *       arrived. The JNI library for the flavour is copied out of the pytorch-jni jar, as DJL would at first start,
 *       and a {@code libcudart.so} link to the bundled CUDA runtime is made in {@code $DJL_CACHE_DIR/cudart/}: DJL
 *       counts GPUs through JNA's {@code Native.load("cudart")}, which finds nothing without such a name.
 *   <li>The Hugging Face tokenizers native library is extracted too.
 * </ul>
 * Exit status 0 when the cache holds what the server needs, 1 otherwise.
 */
public final class PrefetchLibtorch {

    private PrefetchLibtorch() {
    }

    public static void main(String[] args) throws IOException {
        String flavor = Utils.getEnvOrSystemProperty("PYTORCH_FLAVOR", "");
        boolean gpu = flavor.startsWith("cu");
        Path cache = Utils.getEngineCacheDir("pytorch");
        System.out.println("DJL engine cache: " + cache + "; PYTORCH_FLAVOR=" + (flavor.isEmpty() ? "(unset)" : flavor));

        Throwable failure = null;
        try {
            Engine engine = Engine.getEngine("PyTorch");
            System.out.println("PyTorch " + engine.getVersion() + " started; CUDA build: "
                    + engine.hasCapability("CUDA") + "; GPUs visible: " + engine.getGpuCount());
        } catch (Throwable t) { // NOPMD - reported below; a GPU build cannot load without a driver
            failure = t;
            System.out.println("engine did not start: " + t);
            for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
                System.out.println("  caused by: " + c);
            }
        }

        Path dir = findLibtorchDir(cache, gpu ? flavor : "cpu");
        if (dir == null) {
            System.out.println("error: no libtorch.so for flavour " + (gpu ? flavor : "cpu") + " under " + cache);
            System.exit(1);
        }
        System.out.println("libtorch: " + dir);
        if (failure != null && !gpu) {
            System.out.println("error: the CPU engine must start at build time");
            System.exit(1);
        }
        if (gpu) {
            copyJni(dir, flavor);
            linkCudart(dir);
        }
        ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus(); // loads (extracts) the tokenizers library
        System.out.println("tokenizers native library ready");
        try (Stream<Path> files = Files.list(dir)) {
            files.sorted().forEach(p -> System.out.println("  " + p.getFileName()));
        }
    }

    /** {@code <version>-<flavor>-linux-x86_64} folder holding libtorch.so, or null. */
    private static Path findLibtorchDir(Path cache, String flavor) throws IOException {
        if (!Files.isDirectory(cache)) {
            return null;
        }
        try (Stream<Path> dirs = Files.list(cache)) {
            return dirs.filter(d -> d.getFileName().toString().contains("-" + flavor + "-"))
                    .filter(d -> Files.isRegularFile(d.resolve("libtorch.so")))
                    .findFirst().orElse(null);
        }
    }

    /** What LibUtils.findJniLibrary does at first start: jnilib/<classifier>/<flavor>/ into the cache folder. */
    private static void copyJni(Path dir, String flavor) throws IOException {
        Properties engineProps = new Properties();
        try (InputStream is = PrefetchLibtorch.class.getResourceAsStream("/pytorch-engine.properties")) {
            if (is == null) {
                throw new IllegalStateException("pytorch-engine.properties not on the class path");
            }
            engineProps.load(is);
        }
        String djlVersion = engineProps.getProperty("djl_version");
        Path target = dir.resolve(djlVersion + "-libdjl_torch.so");
        if (Files.exists(target)) {
            return;
        }
        String resource = "/jnilib/linux-x86_64/" + flavor + "/libdjl_torch.so";
        try (InputStream is = PrefetchLibtorch.class.getResourceAsStream(resource)) {
            if (is == null) {
                System.out.println("error: " + resource + " is not in the pytorch-jni jar");
                System.exit(1);
            }
            Files.copy(is, target, StandardCopyOption.REPLACE_EXISTING);
        }
        System.out.println("JNI: " + target);
    }

    /** $DJL_CACHE_DIR/cudart/libcudart.so -> the bundled libcudart-<hash>.so.12, for LD_LIBRARY_PATH. */
    private static void linkCudart(Path dir) throws IOException {
        Path bundled;
        try (Stream<Path> files = Files.list(dir)) {
            bundled = files.filter(p -> p.getFileName().toString().startsWith("libcudart")).findFirst().orElse(null);
        }
        if (bundled == null) {
            System.out.println("warning: no libcudart in " + dir + "; the image needs a CUDA runtime on the library path");
            return;
        }
        // beside the libtorch folders, not inside one: DJL loads every file it finds under a libtorch folder
        Path linkDir = dir.getParent().resolveSibling("cudart");
        Files.createDirectories(linkDir);
        Path link = linkDir.resolve("libcudart.so");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, bundled.toAbsolutePath());
        System.out.println("cudart: " + link + " -> " + bundled.getFileName());
    }
}
