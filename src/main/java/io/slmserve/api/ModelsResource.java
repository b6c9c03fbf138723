package io.slmserve.api;

import io.slmserve.api.dto.ModelDescription;
import io.slmserve.api.dto.Problem;
import io.slmserve.core.DecoderInfo;
import io.slmserve.core.GenerationDefaults;
import io.slmserve.core.ModelSpec;
import io.slmserve.inference.ModelCatalog;
import io.slmserve.inference.ModelInfo;
import io.slmserve.inference.ModelManagement;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Every model folder with its state (LOADING, READY, FAILED and why), workers, queue depth and batch settings;
 * and the management verbs (register, unregister, scale) with DJL Serving's parameter names.
 */
@Path("/models")
@Tag(name = "Models", description = "Model repository state")
@Produces(MediaType.APPLICATION_JSON)
@APIResponse(responseCode = "401",
        description = "slm.auth.api-keys is set and the request has no valid Authorization: Bearer key",
        content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
public class ModelsResource {

    private final ModelCatalog catalog;
    private final ModelManagement management;

    public ModelsResource(ModelCatalog catalog, ModelManagement management) {
        this.catalog = catalog;
        this.management = management;
    }

    @POST
    @Operation(operationId = "registerModel",
            summary = "Register a model folder (management)", description = "The folder must lie inside the "
            + "models directory. The model loads in the background: poll GET /models/{id} until READY. Needs the "
            + "admin key when slm.auth.admin-key is set.")
    @APIResponse(responseCode = "202", description = "Registered; LOADING",
            content = @Content(schema = @Schema(implementation = ModelDescription.class)))
    @APIResponse(responseCode = "400", description = "Not a model folder, or a bad name",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "403", description = "The folder is outside the models directory",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The id is taken",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public Response register(
            @Parameter(description = "Model folder, relative to the models directory or absolute inside it",
                    example = "all-minilm-l6-v2") @QueryParam("url") String url,
            @Parameter(description = "Model id (default: the folder name)") @QueryParam("model_name") String name) {
        return Response.accepted(describe(management.register(url, name))).build();
    }

    @DELETE
    @Path("/{id}")
    @Operation(operationId = "unregisterModel",
            summary = "Unregister a model (management)", description = "Stops taking requests for it, answers "
            + "everything it had queued, then frees it.")
    @APIResponse(responseCode = "204", description = "Unregistered")
    @APIResponse(responseCode = "404", description = "No such model",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public Response unregister(@PathParam("id") String id) {
        management.unregister(id);
        return Response.noContent().build();
    }

    @POST
    @Path("/{id}/adapters")
    @Operation(operationId = "registerAdapter",
            summary = "Add a LoRA adapter to a decoder (management)", description = "The folder (converted by "
            + "models/tools/convert_lora.py) must lie inside the models directory. It is read and checked against "
            + "the model at once; requests then choose it as model BASE:NAME or NAME on /v1, or parameters.adapter_id "
            + "on /generate.")
    @APIResponse(responseCode = "201", description = "Added: the model with its adapters",
            content = @Content(schema = @Schema(implementation = ModelDescription.class)))
    @APIResponse(responseCode = "400", description = "A bad adapter (the message names the fault: missing file, "
            + "unknown target module, rank mismatch, modules_to_save, an archive without LoRA methods) or name",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "403", description = "The folder is outside the models directory",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such READY decoder",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "409", description = "The name is taken, or the model holds max_loras adapters",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public Response registerAdapter(@PathParam("id") String id,
            @Parameter(description = "Adapter name", example = "psalms") @QueryParam("name") String name,
            @Parameter(description = "Adapter folder, relative to the models directory or absolute inside it",
                    example = "nano-gpt/adapters/psalms") @QueryParam("url") String url) {
        return Response.status(Response.Status.CREATED).entity(describe(management.registerAdapter(id, name, url)))
                .build();
    }

    @DELETE
    @Path("/{id}/adapters/{name}")
    @Operation(operationId = "unregisterAdapter",
            summary = "Remove a LoRA adapter (management)", description = "New requests naming it get 404; "
            + "requests already running with it finish with its weights.")
    @APIResponse(responseCode = "204", description = "Removed")
    @APIResponse(responseCode = "404", description = "No such model or adapter",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public Response unregisterAdapter(@PathParam("id") String id, @PathParam("name") String name) {
        management.unregisterAdapter(id, name);
        return Response.noContent().build();
    }

    @PUT
    @Path("/{id}")
    @Operation(operationId = "scaleModel",
            summary = "Scale a model's workers (management)")
    @APIResponse(responseCode = "200", description = "The model with its new worker bounds")
    @APIResponse(responseCode = "400", description = "Bounds out of range",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public ModelDescription scale(@PathParam("id") String id,
            @Parameter(description = "Workers kept running", example = "1") @QueryParam("min_worker") Integer min,
            @Parameter(description = "Workers the pool may grow to", example = "2") @QueryParam("max_worker") Integer max) {
        return describe(management.scale(id, min, max));
    }

    @GET
    @Operation(operationId = "listModelFolders",
            summary = "List every model folder, including those that failed to load")
    @APIResponse(responseCode = "200", description = "Every model folder with its state",
            content = @Content(schema = @Schema(implementation = ModelDescription.class, type = SchemaType.ARRAY)))
    public List<ModelDescription> list() {
        return catalog.list().stream().map(ModelsResource::describe).toList();
    }

    @GET
    @Path("/{id}")
    @Operation(operationId = "describeModel",
            summary = "Describe one model")
    @APIResponse(responseCode = "200", description = "The model")
    @APIResponse(responseCode = "404", description = "No such model folder",
            content = @Content(mediaType = ErrorResponses.PROBLEM_JSON, schema = @Schema(implementation = Problem.class)))
    public ModelDescription get(@PathParam("id") String id) {
        return describe(catalog.get(id));
    }

    static ModelDescription describe(ModelInfo info) {
        ModelSpec spec = info.spec();
        ModelDescription.Batching batching = spec == null ? null : new ModelDescription.Batching(spec.batchSize(),
                spec.maxBatchDelay().toMillis(), spec.maxBatchTokens(), spec.jobQueueSize(),
                info.pool() == null ? spec.minWorkers() : info.pool().minWorkers(),
                info.pool() == null ? spec.maxWorkers() : info.pool().maxWorkers(), spec.maxInputTokens());
        return new ModelDescription(info.id(),
                spec == null ? null : spec.task().id(),
                spec == null ? null : spec.family().id(),
                info.state().name(), info.reason(),
                info.pool() == null ? null : info.pool().workers(),
                info.pool() == null ? null : info.pool().queueDepth(),
                batching, generation(info.decoder()),
                info.embedding() == null ? null : new ModelDescription.Pooling(info.embedding().pooling().id(),
                        info.embedding().normalize(), info.embedding().source(),
                        info.embedding().prompts().keySet().stream().sorted().toList(),
                        info.embedding().defaultPromptName()),
                info.adapters().isEmpty() ? null : info.adapters().stream().map(ModelsResource::adapter).toList());
    }

    private static ModelDescription.Adapter adapter(ModelInfo.Adapter a) {
        return a.reason() == null ? new ModelDescription.Adapter(a.name(), "READY", null, a.rank(), a.targets(),
                a.bytes()) : new ModelDescription.Adapter(a.name(), "FAILED", a.reason(), null, null, null);
    }

    private static ModelDescription.Generation generation(DecoderInfo d) {
        if (d == null) {
            return null;
        }
        GenerationDefaults g = d.generationDefaults();
        return new ModelDescription.Generation(d.eosTokenIds(), d.eosToken(), d.bosToken(), d.bos().add(),
                d.bos().add() ? Long.valueOf(d.bos().id()) : null, d.bos().declaredBy(), d.chatTemplate() != null,
                d.maxTotalTokens(), new ModelDescription.GenerationDefaults(g.doSample(), g.temperature(), g.topP(),
                        g.topK(), g.minP(), g.repetitionPenalty(), g.maxNewTokens()));
    }
}
