package io.slmserve.adapters;

import io.slmserve.config.ServerConfig;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.LoadedModel;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.LoraTargets;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ServingException;
import io.slmserve.registry.ModelActivation;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The LoRA adapters of every active decoder. When the registry activates a model, its adapters are loaded from the
 * folder's {@code adapters/NAME/} subfolders and from {@code option.lora_modules} in serving.properties
 * ({@code name=folder,...}, folders relative to the model folder); one that fails is kept with its reason and the
 * base serves on. At run time adapters are added (checked at once: a bad one is a 400 naming the fault) and
 * removed. Removing one only stops new requests from choosing it: a running sequence holds its weights
 * ({@link LoraAdapter} by reference) and finishes with them.
 */
@ApplicationScoped
public class AdapterRegistry implements ModelActivation {

    private static final Logger LOG = Logger.getLogger(AdapterRegistry.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** One model's adapters by name, its targets and its limit. */
    private record ModelAdapters(LoraTargets targets, int max, Map<String, AdapterEntry> entries) {
    }

    private final Path modelsDir;
    private final Map<String, ModelAdapters> models = new ConcurrentHashMap<>();

    public AdapterRegistry(ServerConfig config) {
        this.modelsDir = config.modelsDir().toAbsolutePath().normalize();
    }

    @Override
    public void activate(LoadedModel model) {
        if (model.decoder() == null || model.decoder().info().encoderDecoder()) {
            return;
        }
        ModelSpec spec = model.spec();
        ModelAdapters adapters = new ModelAdapters(model.decoder().loraTargets(), maxLoras(spec),
                new ConcurrentHashMap<>());
        for (Map.Entry<String, Path> found : declared(spec).entrySet()) {
            String name = found.getKey();
            Path dir = found.getValue().toAbsolutePath().normalize();
            try {
                add(spec.id(), adapters, name, dir);
                LOG.infof("model %s: adapter %s loaded from %s", spec.id(), name, dir);
            } catch (ServingException e) {
                adapters.entries().put(name, new AdapterEntry(name, dir, null, e.getMessage()));
                LOG.errorf("model %s: adapter %s FAILED: %s", spec.id(), name, e.getMessage());
            }
        }
        models.put(spec.id(), adapters);
    }

    @Override
    public void deactivate(String modelId) {
        models.remove(modelId);
    }

    /** option.max_loras (vLLM's name, default 8): adapters a model holds at once. */
    public static int maxLoras(ModelSpec spec) {
        return Integer.parseInt(spec.option("max_loras", "8"));
    }

    /**
     * Adds an adapter at run time.
     *
     * @param url the folder, relative to the models directory or absolute inside it
     * @throws ServingException 400 naming the fault, 403 outside the models directory, 404 unknown model, 409 a
     *                          taken name or the model's max_loras reached
     */
    public AdapterEntry register(String modelId, String name, String url) {
        ModelAdapters adapters = adapters(modelId);
        if (name == null || !NAME.matcher(name).matches()) {
            throw ServingException.invalid("name", "the adapter name must match " + NAME.pattern());
        }
        if (url == null || url.isBlank()) {
            throw ServingException.invalid("url", "'url' (the adapter folder) is required");
        }
        Path dir = modelsDir.resolve(url.replaceFirst("^file:(//)?", "")).toAbsolutePath().normalize();
        return add(modelId, adapters, name, dir);
    }

    private AdapterEntry add(String modelId, ModelAdapters adapters, String name, Path dir) {
        if (!dir.startsWith(modelsDir)) {
            throw new ServingException(ErrorKind.FORBIDDEN, "adapter folders must be inside " + modelsDir, "url");
        }
        synchronized (adapters) {
            AdapterEntry old = adapters.entries().get(name);
            if (old != null && old.loaded()) {
                throw new ServingException(ErrorKind.CONFLICT, "model '" + modelId + "' already has an adapter '"
                        + name + "'", "name");
            }
            long loaded = adapters.entries().values().stream().filter(AdapterEntry::loaded).count();
            if (loaded >= adapters.max()) {
                throw new ServingException(ErrorKind.CONFLICT, "model '" + modelId + "' holds " + loaded
                        + " adapters, its max_loras; remove one first", "name");
            }
            LoraAdapter adapter;
            try {
                adapter = AdapterFolder.read(name, dir, adapters.targets());
            } catch (AdapterFolder.InvalidAdapter e) {
                throw ServingException.invalid("url", "adapter '" + name + "' refused: " + e.getMessage());
            }
            AdapterEntry entry = new AdapterEntry(name, dir, adapter, null);
            adapters.entries().put(name, entry);
            return entry;
        }
    }

    /** Removes an adapter (loaded or failed); running requests that use it finish with its weights. */
    public void unregister(String modelId, String name) {
        if (adapters(modelId).entries().remove(name) == null) {
            throw notFound(modelId, name);
        }
        LOG.infof("model %s: adapter %s removed", modelId, name);
    }

    /** A loaded adapter of a model (404 naming it when the model has none of that name or it failed). */
    public LoraAdapter require(String modelId, String name) {
        ModelAdapters adapters = models.get(modelId);
        AdapterEntry entry = adapters == null ? null : adapters.entries().get(name);
        if (entry == null) {
            throw notFound(modelId, name);
        }
        if (!entry.loaded()) {
            throw new ServingException(ErrorKind.NOT_FOUND, "adapter '" + name + "' of model '" + modelId
                    + "' failed to load: " + entry.reason(), "model");
        }
        return entry.adapter();
    }

    /** A model's adapters by name (loaded and failed); empty for a model without any. */
    public List<AdapterEntry> list(String modelId) {
        ModelAdapters adapters = models.get(modelId);
        return adapters == null ? List.of() : new TreeMap<>(adapters.entries()).values().stream().toList();
    }

    /** The models that have a loaded adapter of this name. */
    public List<String> modelsWith(String name) {
        List<String> out = new ArrayList<>();
        models.forEach((id, adapters) -> {
            AdapterEntry e = adapters.entries().get(name);
            if (e != null && e.loaded()) {
                out.add(id);
            }
        });
        return out.stream().sorted().toList();
    }

    private ModelAdapters adapters(String modelId) {
        ModelAdapters adapters = models.get(modelId);
        if (adapters == null) {
            throw new ServingException(ErrorKind.MODEL_NOT_FOUND, "model '" + modelId + "' is not a loaded decoder "
                    + "(adapters apply to READY text-generation models)", "model");
        }
        return adapters;
    }

    private static ServingException notFound(String modelId, String name) {
        return new ServingException(ErrorKind.NOT_FOUND, "adapter '" + name + "' of model '" + modelId
                + "' does not exist; GET /models/" + modelId + " lists its adapters", "model");
    }

    /** adapters/NAME/ subfolders, then option.lora_modules entries (which win on a name clash). */
    static Map<String, Path> declared(ModelSpec spec) {
        Map<String, Path> out = new TreeMap<>();
        Path sub = spec.dir().resolve("adapters");
        if (Files.isDirectory(sub)) {
            try (Stream<Path> children = Files.list(sub)) {
                children.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith("."))
                        .forEach(p -> out.put(p.getFileName().toString(), p));
            } catch (IOException e) {
                LOG.warnf(e, "model %s: cannot list %s", spec.id(), sub);
            }
        }
        String modules = spec.option("lora_modules", "");
        for (String item : modules.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            int eq = item.indexOf('=');
            String name = eq < 0 ? Path.of(item.trim()).getFileName().toString() : item.substring(0, eq).trim();
            out.put(name, spec.dir().resolve((eq < 0 ? item : item.substring(eq + 1)).trim()));
        }
        return out;
    }
}
