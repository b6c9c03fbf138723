package io.slmserve.api;

import io.slmserve.api.dto.ModelDescription;
import io.slmserve.api.dto.Problem;
import io.slmserve.core.ModelSpec;
import io.slmserve.inference.ModelCatalog;
import io.slmserve.inference.ModelInfo;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Every model folder with its state (LOADING, READY, FAILED and why), workers, queue depth and batch settings. */
@Path("/models")
@Tag(name = "Models", description = "Model repository state")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {

    private final ModelCatalog catalog;

    public ModelsResource(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @GET
    @Operation(summary = "List every model folder, including those that failed to load")
    public List<ModelDescription> list() {
        return catalog.list().stream().map(ModelsResource::describe).toList();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Describe one model")
    @APIResponse(responseCode = "200", description = "The model")
    @APIResponse(responseCode = "404", description = "No such model folder",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public ModelDescription get(@PathParam("id") String id) {
        return describe(catalog.get(id));
    }

    static ModelDescription describe(ModelInfo info) {
        ModelSpec spec = info.spec();
        ModelDescription.Batching batching = spec == null ? null : new ModelDescription.Batching(spec.batchSize(),
                spec.maxBatchDelay().toMillis(), spec.maxBatchTokens(), spec.jobQueueSize(), spec.minWorkers(),
                spec.maxWorkers(), spec.maxInputTokens());
        return new ModelDescription(info.id(),
                spec == null ? null : spec.task().id(),
                spec == null ? null : spec.family().id(),
                info.state().name(), info.reason(),
                info.pool() == null ? null : info.pool().workers(),
                info.pool() == null ? null : info.pool().queueDepth(),
                batching);
    }
}
