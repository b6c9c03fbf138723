package io.slmserve.inference;

import io.slmserve.adapters.AdapterRegistry;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.LoraAdapter;
import io.slmserve.core.ServingException;
import io.slmserve.registry.ModelRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Which base model and LoRA adapter a generation request names, as vLLM and TGI spell it: {@code model:
 * "BASE:ADAPTER"}, the adapter's own name as {@code model} (when no model has that id and one model has an adapter
 * of that name), or an adapter named apart (TGI's {@code parameters.adapter_id}) on the model the request names or
 * the default one. An unknown adapter is a 404 naming it.
 */
@ApplicationScoped
public class AdapterChoice {

    /** The base model field to resolve as before (null: the default model) and the adapter name, or null. */
    public record Named(String model, String adapter) {
    }

    private final AdapterRegistry adapters;
    private final ModelRegistry registry;

    public AdapterChoice(AdapterRegistry adapters, ModelRegistry registry) {
        this.adapters = adapters;
        this.registry = registry;
    }

    /** Splits the request's model field and adapter_id into base model and adapter names. */
    public Named parse(String model, String adapterId) {
        String requested = ModelResolver.requested(model);
        String adapter = adapterId == null || adapterId.isBlank() ? null : adapterId;
        if (requested != null) {
            int colon = requested.indexOf(':');
            if (colon >= 0) {
                String named = requested.substring(colon + 1);
                if (adapter != null && !adapter.equals(named)) {
                    throw ServingException.invalid("adapter_id", "model names adapter '" + named
                            + "' but adapter_id is '" + adapter + "'");
                }
                return new Named(requested.substring(0, colon), named);
            }
            if (registry.find(requested).isEmpty()) {
                List<String> owners = adapters.modelsWith(requested);
                if (owners.size() == 1) {
                    return new Named(owners.get(0), requested);
                }
                if (owners.size() > 1) {
                    throw ServingException.invalid("model", "adapter '" + requested + "' exists on several models "
                            + owners + "; name it as BASE:ADAPTER");
                }
            }
        }
        return new Named(requested, adapter);
    }

    /** The adapter's weights on the resolved base model, or null for none (404 naming an unknown one). */
    public LoraAdapter weights(String baseId, String adapter) {
        if (adapter == null) {
            return null;
        }
        try {
            return adapters.require(baseId, adapter);
        } catch (ServingException e) {
            throw new ServingException(ErrorKind.MODEL_NOT_FOUND, e.getMessage(), "model");
        }
    }
}
