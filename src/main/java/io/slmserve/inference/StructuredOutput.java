package io.slmserve.inference;

import io.slmserve.config.ServerConfig;
import io.slmserve.constraint.ConstraintCompiler;
import io.slmserve.core.Deadline;
import io.slmserve.core.OutputConstraint;
import io.slmserve.core.ServingMetrics;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenConstraint;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The server's one constraint compiler (and so one compiled-constraint cache), configured from
 * {@code slm.constraints.*}, reporting compile times and cache hits to the metrics.
 */
@ApplicationScoped
public class StructuredOutput {

    private final ConstraintCompiler compiler;
    private final ServingMetrics metrics;

    public StructuredOutput(ServerConfig config, ServingMetrics metrics) {
        ServerConfig.Constraints c = config.constraints();
        this.compiler = new ConstraintCompiler(new ConstraintCompiler.Settings(c.maxWhitespace(), c.jsonDepth(),
                c.maxStates(), c.maxSchemaChars(), c.cacheEntries(), (long) c.cacheMib() << 20));
        this.metrics = metrics;
    }

    /** Compiles (or finds cached) the constraint for a model; a 400 naming the field when it cannot be met. */
    public TokenConstraint compile(String model, OutputConstraint spec, TextTokenizer tokenizer, int width, long eos,
                                   Deadline deadline) {
        return compiler.compile(spec, tokenizer, width, eos, deadline, model, new ConstraintCompiler.Listener() {
            @Override
            public void compiled(String kind, long nanos, int states) {
                metrics.constraintCompiled(model, kind, nanos);
            }

            @Override
            public void cacheHit(String kind) {
                metrics.constraintCacheHit(model, kind);
            }
        });
    }
}
