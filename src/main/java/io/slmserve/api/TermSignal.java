package io.slmserve.api;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import sun.misc.Signal;

/**
 * SIGTERM (Kubernetes stopping the pod, {@code Process.destroy()}) starts Quarkus' graceful shutdown and ends
 * the process with status 0, as a requested stop should: readiness goes DOWN for {@code quarkus.shutdown.delay},
 * then new requests get 503 while in-flight ones (streams included) finish within {@code quarkus.shutdown.timeout}.
 * Left to the JVM, the same shutdown would run from a shutdown hook but the status would be 143.
 */
@ApplicationScoped
public class TermSignal {

    private static final Logger LOG = Logger.getLogger(TermSignal.class);

    void install(@Observes StartupEvent event) {
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return;
        }
        try {
            Signal.handle(new Signal("TERM"), signal -> {
                LOG.info("SIGTERM: readiness DOWN, draining in-flight requests, then exit 0");
                Quarkus.asyncExit(0);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.debugf("no SIGTERM handler (%s); the JVM's default applies", e.getMessage());
        }
    }
}
