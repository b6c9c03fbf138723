package io.slmserve.registry;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.slmserve.config.ServerConfig;
import io.slmserve.core.BackendFactory;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelLoadException;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelState;
import io.slmserve.core.ServingException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Owns every model folder. At start it scans the models directory and loads the models one after another
 * on a background thread, so the HTTP server is up at once and readiness reports progress. A folder that
 * fails is marked FAILED with its reason and the others carry on.
 */
@ApplicationScoped
public class ModelRegistry {

    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);

    private final ServerConfig config;
    private final BackendFactory factory;
    private final Instance<ModelActivation> activations;
    private final Map<String, ModelEntry> entries = new ConcurrentHashMap<>();
    private volatile boolean scanned;
    /** Loads as many models at once as slm.loader-threads says (measured in docs/startup.md). */
    private final ExecutorService loader;

    public ModelRegistry(ServerConfig config, BackendFactory factory, Instance<ModelActivation> activations) {
        this.config = config;
        this.factory = factory;
        this.activations = activations;
        int threads = config.loaderThreads() > 0 ? config.loaderThreads() : Runtime.getRuntime().availableProcessors();
        AtomicInteger named = new AtomicInteger();
        this.loader = Executors.newFixedThreadPool(threads, r -> {
            Thread thread = new Thread(r, "slm-model-loader-" + named.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        });
    }

    void onStart(@Observes StartupEvent event) {
        List<ModelEntry> found = scan(config.modelsDir());
        found.forEach(entry -> entries.put(entry.id(), entry));
        scanned = true;
        found.forEach(entry -> loader.execute(() -> load(entry)));
    }

    /**
     * Registers a model folder at run time and loads it in the background (the entry starts LOADING).
     *
     * @throws ServingException CONFLICT when the id is taken, INVALID_REQUEST when the folder is not a model
     */
    public ModelEntry register(String id, Path dir) {
        if (!isModelFolder(dir)) {
            throw ServingException.invalid("url", dir + " is not a model folder (no serving.properties or model.pt)");
        }
        ModelEntry entry = new ModelEntry(id, dir);
        if (entries.putIfAbsent(id, entry) != null) {
            throw new ServingException(ErrorKind.CONFLICT, "model '" + id + "' is already registered", "model_name");
        }
        loader.execute(() -> load(entry));
        return entry;
    }

    /**
     * Unregisters a model: its pool stops taking requests and drains what it queued, then the model is closed.
     *
     * @throws ServingException MODEL_NOT_FOUND for an unknown id
     */
    public void unregister(String id) {
        ModelEntry entry = entries.remove(id);
        if (entry == null) {
            throw new ServingException(ErrorKind.MODEL_NOT_FOUND, "model '" + id + "' does not exist", "model");
        }
        activations.forEach(activation -> activation.deactivate(id));
        entry.loaded().ifPresent(ModelRegistry::closeQuietly);
        LOG.infof("model %s: unregistered", id);
    }

    void onStop(@Observes ShutdownEvent event) {
        loader.shutdownNow();
        for (ModelEntry entry : entries.values()) {
            activations.forEach(activation -> activation.deactivate(entry.id()));
            entry.loaded().ifPresent(ModelRegistry::closeQuietly);
        }
    }

    public Optional<ModelEntry> find(String id) {
        return Optional.ofNullable(entries.get(id));
    }

    public Collection<ModelEntry> all() {
        return entries.values().stream().sorted(java.util.Comparator.comparing(ModelEntry::id)).toList();
    }

    /** True once the folder scan ran (the startup check). */
    public boolean scanned() {
        return scanned;
    }

    /** True when no model is still LOADING. */
    public boolean settled() {
        return scanned && entries.values().stream().noneMatch(e -> e.state() == ModelState.LOADING);
    }

    static List<ModelEntry> scan(Path root) {
        if (!Files.isDirectory(root)) {
            LOG.warnf("models directory %s does not exist; serving no models", root.toAbsolutePath());
            return List.of();
        }
        List<ModelEntry> found = new ArrayList<>();
        try (Stream<Path> children = Files.list(root)) {
            children.filter(ModelRegistry::isModelFolder).sorted().forEach(dir ->
                    found.add(new ModelEntry(dir.getFileName().toString(), dir)));
        } catch (IOException e) {
            LOG.errorf(e, "cannot list models directory %s", root);
        }
        LOG.infof("found %d model folder(s) in %s: %s", found.size(), root.toAbsolutePath(),
                found.stream().map(ModelEntry::id).toList());
        return found;
    }

    /** A model folder declares itself with serving.properties or a TorchScript file; anything else is skipped. */
    static boolean isModelFolder(Path dir) {
        if (!Files.isDirectory(dir) || dir.getFileName().toString().startsWith(".")) {
            return false;
        }
        return Files.exists(dir.resolve(ServingProperties.FILE)) || Files.exists(dir.resolve("model.pt"));
    }

    private void load(ModelEntry entry) {
        LOG.infof("model %s: loading from %s", entry.id(), entry.dir());
        LoadedModel model = null;
        try {
            ModelSpec spec = ServingProperties.read(entry.id(), entry.dir());
            entry.parsed(spec);
            model = factory.load(spec);
            if (entries.get(entry.id()) != entry) {
                closeQuietly(model); // unregistered while it loaded
                return;
            }
            for (ModelActivation activation : activations) {
                activation.activate(model);
            }
            entry.ready(model);
            LOG.infof("model %s: READY (%s, task %s)", entry.id(), spec.family().id(), spec.task().id());
        } catch (ModelLoadException | IOException | IllegalArgumentException e) {
            fail(entry, model, e.getMessage(), null);
        } catch (Exception | LinkageError e) {
            fail(entry, model, e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    private void fail(ModelEntry entry, LoadedModel model, String why, Throwable cause) {
        if (model != null) {
            activations.forEach(activation -> activation.deactivate(entry.id()));
            closeQuietly(model);
        }
        entry.failed(why);
        LOG.errorf(cause, "model %s: FAILED: %s", entry.id(), why);
    }

    private static void closeQuietly(LoadedModel model) {
        try {
            model.close();
        } catch (Exception e) {
            LOG.warnf(e, "model %s: error while closing", model.spec().id());
        }
    }
}
