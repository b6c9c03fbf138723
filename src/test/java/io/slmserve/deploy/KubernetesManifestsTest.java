package io.slmserve.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Assumptions;

/**
 * Checks k8s/ offline: every YAML document is parsed strictly with the fabric8 model classes (a field the
 * Kubernetes API does not know fails, with its path), every kustomization's paths exist, and the essentials of
 * docs/deploy.md hold (probes, security context, shutdown timing, resources, the GPU overlay). When kubectl is on
 * the PATH, the base, both overlays and each component are also rendered with its built-in kustomize and the
 * rendered objects checked the same way; otherwise those tests are skipped. No cluster is contacted.
 */
class KubernetesManifestsTest {

    private static final Path K8S = Path.of("k8s").toAbsolutePath().normalize();

    /** kind -> (apiVersion, fabric8 class). Any other kind under k8s/ is an error. */
    private static final Map<String, Map.Entry<String, Class<? extends HasMetadata>>> KINDS = Map.of(
            "Deployment", kind("apps/v1", Deployment.class),
            "Service", kind("v1", Service.class),
            "ConfigMap", kind("v1", ConfigMap.class),
            "Secret", kind("v1", Secret.class),
            "PersistentVolumeClaim", kind("v1", PersistentVolumeClaim.class),
            "HorizontalPodAutoscaler", kind("autoscaling/v2", HorizontalPodAutoscaler.class),
            "PodDisruptionBudget", kind("policy/v1", PodDisruptionBudget.class));

    /** Top-level fields this project's kustomization files may use (a typo there fails too). */
    private static final Set<String> KUSTOMIZATION_KEYS = Set.of("apiVersion", "kind", "resources", "components",
            "patches", "images", "configMapGenerator", "secretGenerator", "generatorOptions", "labels", "namespace",
            "namePrefix", "nameSuffix", "commonAnnotations", "replicas");
    private static final Set<String> PATCH_KEYS = Set.of("path", "patch", "target", "options");
    private static final Set<String> TARGET_KEYS = Set.of("group", "version", "kind", "name", "namespace",
            "labelSelector", "annotationSelector");
    private static final Set<String> GENERATOR_KEYS = Set.of("name", "namespace", "behavior", "literals", "envs",
            "files", "options");
    private static final Set<String> IMAGE_KEYS = Set.of("name", "newName", "newTag", "digest");
    private static final Set<String> LABEL_KEYS = Set.of("pairs", "includeSelectors", "includeTemplates", "fields");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Z_][A-Z0-9_]*");

    private static final String APP = "slm-serve";
    /** kubectl for the rendering tests; -Dslm.test.kubectl=/path overrides, a missing one skips them. */
    private static final String KUBECTL = System.getProperty("slm.test.kubectl", "kubectl");
    private static final int PRESTOP_MIN_SECONDS = 5;

    /** Strict YAML: duplicate keys fail; a document must bind to its class completely. */
    private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder().build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private static List<Path> yamlFiles;

    @BeforeAll
    static void listFiles() throws IOException {
        assertTrue(Files.isDirectory(K8S), "no k8s/ folder at " + K8S + " (tests run from the project root)");
        try (Stream<Path> files = Files.walk(K8S)) {
            yamlFiles = files.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .sorted()
                    .collect(Collectors.toList());
        }
        assertFalse(yamlFiles.isEmpty(), "no YAML under k8s/");
    }

    // ------------------------------------------------------------------------------------------ every file

    @TestFactory
    Stream<DynamicTest> everyYamlDocumentParsesStrictly() {
        return yamlFiles.stream().map(file -> DynamicTest.dynamicTest(K8S.relativize(file).toString(), () -> {
            List<JsonNode> docs = readDocuments(file);
            assertFalse(docs.isEmpty(), file + ": no YAML document");
            for (int i = 0; i < docs.size(); i++) {
                String where = K8S.relativize(file) + (docs.size() > 1 ? " document " + (i + 1) : "");
                if (isKustomization(file)) {
                    checkKustomization(file, docs.get(i), where);
                } else {
                    parseStrictly(docs.get(i), where);
                }
            }
        }));
    }

    @Test
    void everyManifestIsReferencedByAKustomization() throws IOException {
        Set<Path> referenced = new LinkedHashSet<>();
        for (Path file : yamlFiles) {
            if (!isKustomization(file)) {
                continue;
            }
            Map<String, Object> k = asMap(readDocuments(file).get(0), file.toString());
            Path dir = file.getParent();
            for (Object r : list(k.get("resources"))) {
                referenced.add(dir.resolve(r.toString()).normalize());
            }
            for (Object p : list(k.get("patches"))) {
                Object path = ((Map<?, ?>) p).get("path");
                if (path != null) {
                    referenced.add(dir.resolve(path.toString()).normalize());
                }
            }
        }
        List<String> orphans = yamlFiles.stream()
                .filter(f -> !isKustomization(f) && !referenced.contains(f.normalize()))
                .map(f -> K8S.relativize(f).toString())
                .collect(Collectors.toList());
        assertTrue(orphans.isEmpty(), "YAML under k8s/ that no kustomization uses (never applied): " + orphans);
    }

    // ------------------------------------------------------------------------------------------ base essentials

    @Test
    void baseDeploymentProbesPointAtTheQuarkusHealthEndpoints() throws IOException {
        Container c = container(baseDeployment());
        ContainerPort http = c.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named http"));
        assertEquals(8080, http.getContainerPort());
        assertProbe(c.getStartupProbe(), "startupProbe", "/q/health/started");
        assertProbe(c.getReadinessProbe(), "readinessProbe", "/q/health/ready");
        assertProbe(c.getLivenessProbe(), "livenessProbe", "/q/health/live");
        // Model loading happens after /q/health/started; the JVM and the engine must start within the budget.
        assertTrue(budgetSeconds(c.getStartupProbe()) >= 120,
                "startupProbe allows only " + budgetSeconds(c.getStartupProbe()) + " s to start");
        assertTrue(budgetSeconds(c.getLivenessProbe()) >= 30,
                "livenessProbe restarts after " + budgetSeconds(c.getLivenessProbe()) + " s: too eager under load");
        assertTrue(c.getLivenessProbe().getTimeoutSeconds() >= 3, "livenessProbe timeout under 3 s");
    }

    @Test
    void baseDeploymentRunsNonRootOnAReadOnlyRootFileSystem() throws IOException {
        Deployment d = baseDeployment();
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        Container c = container(d);
        PodSecurityContext psc = pod.getSecurityContext();
        SecurityContext sc = c.getSecurityContext();
        assertNotNull(psc, "no pod securityContext");
        assertNotNull(sc, "no container securityContext");
        assertEquals(Boolean.TRUE, psc.getRunAsNonRoot(), "pod runAsNonRoot");
        assertEquals(10001L, psc.getRunAsUser(), "pod runAsUser (the image's APP_UID, owner of /opt/djl-cache)");
        assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), "readOnlyRootFilesystem");
        assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), "allowPrivilegeEscalation");
        assertTrue(sc.getCapabilities() != null && sc.getCapabilities().getDrop().contains("ALL"), "capabilities drop ALL");
        String seccomp = sc.getSeccompProfile() != null ? sc.getSeccompProfile().getType()
                : psc.getSeccompProfile() != null ? psc.getSeccompProfile().getType() : null;
        assertEquals("RuntimeDefault", seccomp, "seccompProfile");
        // read-only root: java.io.tmpdir must be a writable volume
        VolumeMount tmp = c.getVolumeMounts().stream().filter(m -> "/tmp".equals(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError("no writable volume at /tmp"));
        Volume tmpVolume = volume(pod, tmp.getName());
        assertNotNull(tmpVolume.getEmptyDir(), "/tmp is not an emptyDir");
        assertFalse(Boolean.TRUE.equals(tmp.getReadOnly()), "/tmp mounted read-only");
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), "automountServiceAccountToken");
    }

    @Test
    void terminationGraceCoversPreStopAndQuarkusShutdownTimeout() throws IOException {
        Deployment d = baseDeployment();
        Map<String, String> config = baseConfig();
        long preStop = preStopSleepSeconds(container(d).getLifecycle().getPreStop());
        long shutdown = quarkusDuration(config.get("QUARKUS_SHUTDOWN_TIMEOUT")).getSeconds();
        long grace = d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        assertTrue(preStop >= PRESTOP_MIN_SECONDS, "preStop sleep " + preStop + " s: too short to drain endpoints");
        assertTrue(shutdown > 0, "QUARKUS_SHUTDOWN_TIMEOUT unset: in-flight requests are cut at SIGTERM");
        assertTrue(grace >= preStop + shutdown,
                "terminationGracePeriodSeconds " + grace + " < preStop " + preStop + " + shutdown " + shutdown);
    }

    @Test
    void baseConfigurationResourcesAndSecret() throws IOException {
        Deployment d = baseDeployment();
        Container c = container(d);
        Map<String, String> config = baseConfig();
        assertEquals("/app/models", config.get("SLM_MODELS_DIR"), "models dir of the Dockerfile");
        assertEquals("1", config.get("SLM_ENGINE_INTRA_OP_THREADS"));
        assertTrue(config.getOrDefault("JAVA_OPTS", "").contains("-XX:MaxRAMPercentage="), "JAVA_OPTS");
        assertTrue(config.getOrDefault("JAVA_OPTS", "").contains("-Djava.io.tmpdir=/tmp"), "JAVA_OPTS tmpdir");
        assertEquals("8080", config.get("QUARKUS_HTTP_PORT"));

        List<String> configMaps = c.getEnvFrom().stream().map(EnvFromSource::getConfigMapRef)
                .filter(r -> r != null).map(r -> r.getName()).collect(Collectors.toList());
        assertEquals(List.of("slm-serve-config"), configMaps, "envFrom the generated ConfigMap");

        EnvVar keys = env(c, "SLM_AUTH_API_KEYS");
        assertNotNull(keys.getValueFrom().getSecretKeyRef(), "SLM_AUTH_API_KEYS from a Secret");
        assertEquals(Boolean.TRUE, keys.getValueFrom().getSecretKeyRef().getOptional(), "Secret optional");
        assertEquals("/opt/djl-cache", env(c, "DJL_CACHE_DIR").getValue(), "the image's prefilled DJL cache");

        assertEquals(bytes("1Gi"), bytes(c.getResources().getRequests().get("memory")), "memory request");
        assertEquals(bytes("2Gi"), bytes(c.getResources().getLimits().get("memory")), "memory limit");
        assertEquals(bytes("2"), bytes(c.getResources().getRequests().get("cpu")), "cpu request");
        assertEquals("slm-serve:latest", c.getImage());
        assertEquals("IfNotPresent", c.getImagePullPolicy());
        assertEquals(null, d.getSpec().getReplicas(), "replicas belongs to the HPA");
    }

    @Test
    void serviceHpaAndPdbSelectTheDeployment() throws IOException {
        Deployment d = baseDeployment();
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        assertEquals(d.getSpec().getSelector().getMatchLabels(), subset(podLabels, d.getSpec().getSelector().getMatchLabels()));

        Service svc = load("base/service.yaml", Service.class);
        assertEquals("ClusterIP", svc.getSpec().getType());
        assertEquals(svc.getSpec().getSelector(), subset(podLabels, svc.getSpec().getSelector()), "service selector");
        ServicePort port = svc.getSpec().getPorts().get(0);
        assertEquals(8080, port.getPort());
        assertEquals("http", port.getTargetPort().getStrVal());

        HorizontalPodAutoscaler hpa = load("base/hpa.yaml", HorizontalPodAutoscaler.class);
        assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
        assertEquals(d.getMetadata().getName(), hpa.getSpec().getScaleTargetRef().getName());
        assertEquals(1, hpa.getSpec().getMinReplicas());
        assertEquals(4, hpa.getSpec().getMaxReplicas());
        MetricSpec cpu = hpa.getSpec().getMetrics().get(0);
        assertEquals("cpu", cpu.getResource().getName());
        assertEquals("Utilization", cpu.getResource().getTarget().getType());

        PodDisruptionBudget pdb = load("base/pdb.yaml", PodDisruptionBudget.class);
        assertEquals(1, pdb.getSpec().getMinAvailable().getIntVal());
        assertEquals(pdb.getSpec().getSelector().getMatchLabels(),
                subset(podLabels, pdb.getSpec().getSelector().getMatchLabels()), "PDB selector");
    }

    // ------------------------------------------------------------------------------------------ overlays

    @Test
    void gpuOverlayRequestsAGpuOnGpuNodes() throws IOException {
        Deployment patch = load("overlays/gpu/deployment-gpu.yaml", Deployment.class);
        PodSpec pod = patch.getSpec().getTemplate().getSpec();
        Container c = container(patch);
        assertEquals(bytes("1"), bytes(c.getResources().getLimits().get("nvidia.com/gpu")), "nvidia.com/gpu limit");
        assertTrue(bytes(c.getResources().getLimits().get("memory"))
                > bytes(container(baseDeployment()).getResources().getLimits().get("memory")), "GPU memory limit");
        assertEquals("true", pod.getNodeSelector().get("nvidia.com/gpu.present"));
        List<Toleration> t = pod.getTolerations();
        assertTrue(t.stream().anyMatch(x -> "nvidia.com/gpu".equals(x.getKey()) && "NoSchedule".equals(x.getEffect())),
                "toleration for nvidia.com/gpu NoSchedule");

        Map<String, Object> k = kustomization("overlays/gpu");
        Map<String, String> literals = literals(k, "slm-serve-config");
        assertEquals("gpu", literals.get("SLM_ENGINE_DEVICE"));
        assertEquals("bf16", literals.get("SLM_ENGINE_DTYPE"));
        assertEquals("merge", generator(k, "slm-serve-config").get("behavior"));
        assertEquals("gpu", image(k, APP).get("newTag"));
    }

    @Test
    void cpuOverlayUsesTheCpuImage() throws IOException {
        assertEquals("cpu", image(kustomization("overlays/cpu"), APP).get("newTag"));
    }

    // ------------------------------------------------------------------------------------------ rendered (kubectl)

    @TestFactory
    Stream<DynamicTest> renderedWithKustomize(@TempDir Path tmp) {
        if (!kubectlAvailable()) {
            // reported as one skipped test, so that a run without kubectl says what it did not check
            return Stream.of(DynamicTest.dynamicTest("kubectl kustomize", () -> Assumptions.assumeTrue(false,
                    KUBECTL + " not found: kustomize rendering of base, overlays and components not checked")));
        }
        Map<String, String> targets = new LinkedHashMap<>();
        targets.put("base", "base");
        targets.put("overlays/cpu", "overlays/cpu");
        targets.put("overlays/gpu", "overlays/gpu");
        targets.put("overlays/cpu + components/models-volume", "components/models-volume");
        targets.put("overlays/cpu + components/models-image-volume", "components/models-image-volume");
        return targets.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Path dir;
            if (e.getValue().startsWith("components/")) {
                // a throw-away overlay next to nothing: kustomize wants relative paths to other kustomizations
                dir = Files.createDirectories(tmp.resolve(e.getValue().replace('/', '-')));
                Files.writeString(dir.resolve("kustomization.yaml"), "resources:\n  - "
                        + dir.relativize(K8S.resolve("overlays/cpu")) + "\ncomponents:\n  - "
                        + dir.relativize(K8S.resolve(e.getValue())) + "\n");
            } else {
                dir = K8S.resolve(e.getValue());
            }
            checkRendered(e.getKey(), render(dir));
        }));
    }

    private static void checkRendered(String name, String yaml) throws IOException {
        Map<String, HasMetadata> objects = new LinkedHashMap<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc == null || doc.isNull() || doc.isMissingNode()) {
                    continue;
                }
                HasMetadata o = parseStrictly(doc, name + " " + doc.path("kind").asText());
                objects.put(o.getKind() + "/" + o.getMetadata().getName(), o);
            }
        }
        Deployment d = (Deployment) objects.get("Deployment/slm-serve");
        assertNotNull(d, name + ": no Deployment slm-serve in " + objects.keySet());
        for (String kind : List.of("Service", "HorizontalPodAutoscaler", "PodDisruptionBudget")) {
            assertTrue(objects.containsKey(kind + "/slm-serve"), name + ": no " + kind);
        }
        Container c = container(d);
        String configMap = c.getEnvFrom().get(0).getConfigMapRef().getName();
        ConfigMap cm = (ConfigMap) objects.get("ConfigMap/" + configMap);
        assertNotNull(cm, name + ": envFrom names " + configMap + ", not rendered");
        assertTrue(configMap.startsWith("slm-serve-config-"), name + ": ConfigMap without content hash: " + configMap);
        Map<String, String> data = cm.getData();
        long grace = d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        assertTrue(grace >= preStopSleepSeconds(c.getLifecycle().getPreStop())
                + quarkusDuration(data.get("QUARKUS_SHUTDOWN_TIMEOUT")).getSeconds(), name + ": grace period");
        assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem(), name);
        if (name.contains("gpu")) {
            assertEquals("slm-serve:gpu", c.getImage(), name);
            assertEquals(bytes("1"), bytes(c.getResources().getLimits().get("nvidia.com/gpu")), name);
            assertEquals("gpu", data.get("SLM_ENGINE_DEVICE"), name);
            assertEquals("bf16", data.get("SLM_ENGINE_DTYPE"), name);
            assertTrue(data.get("JAVA_OPTS").contains("MaxRAMPercentage"), name);
            assertTrue(d.getSpec().getTemplate().getSpec().getTolerations().size() == 1, name);
        } else {
            assertEquals(name.equals("base") ? "slm-serve:latest" : "slm-serve:cpu", c.getImage(), name);
            assertEquals("cpu", data.get("SLM_ENGINE_DEVICE"), name);
            assertTrue(c.getResources().getLimits().get("nvidia.com/gpu") == null, name);
        }
        if (name.contains("components/")) {
            VolumeMount models = c.getVolumeMounts().stream()
                    .filter(m -> m.getMountPath().equals(data.get("SLM_MODELS_DIR"))).findFirst()
                    .orElseThrow(() -> new AssertionError(name + ": nothing mounted at SLM_MODELS_DIR"));
            assertEquals(Boolean.TRUE, models.getReadOnly(), name + ": models mount read-only");
            Volume v = volume(d.getSpec().getTemplate().getSpec(), models.getName());
            if (name.contains("models-volume")) {
                String claim = v.getPersistentVolumeClaim().getClaimName();
                assertTrue(objects.containsKey("PersistentVolumeClaim/" + claim), name + ": claim " + claim);
            } else {
                assertNotNull(v.getImage(), name + ": image volume");
            }
        }
    }

    // ------------------------------------------------------------------------------------------ strict parsing

    /** Binds one manifest to its fabric8 class and fails on any field fabric8 collected as unknown. */
    private static HasMetadata parseStrictly(JsonNode doc, String where) {
        String kind = doc.path("kind").asText(null);
        String apiVersion = doc.path("apiVersion").asText(null);
        Map.Entry<String, Class<? extends HasMetadata>> expected = KINDS.get(kind);
        if (expected == null) {
            fail(where + ": kind " + kind + " is not one this test knows (" + KINDS.keySet() + ")");
        }
        assertEquals(expected.getKey(), apiVersion, where + ": apiVersion of " + kind);
        HasMetadata object;
        try {
            object = YAML.treeToValue(doc, expected.getValue());
        } catch (IOException e) {
            throw new AssertionError(where + ": does not bind to " + expected.getValue().getSimpleName() + ": "
                    + e.getMessage(), e);
        }
        assertNotNull(object.getMetadata(), where + ": no metadata");
        assertNotNull(object.getMetadata().getName(), where + ": no metadata.name");
        List<String> unknown = new ArrayList<>();
        walk(object, kind, unknown, new IdentityHashMap<>());
        if (!unknown.isEmpty()) {
            fail(where + ": fields unknown to the Kubernetes API:\n  " + String.join("\n  ", unknown));
        }
        checkQuantities(object, where);
        return object;
    }

    /**
     * fabric8 classes keep fields they do not know in additionalProperties (@JsonAnySetter) instead of failing:
     * walk the whole object graph and report every non-empty one with its path.
     */
    private static void walk(Object o, String path, List<String> unknown, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean || o instanceof Enum) {
            return;
        }
        if (seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
                walk(e.getValue(), path + "." + e.getKey(), unknown, seen);
            }
            return;
        }
        if (o instanceof Collection) {
            int i = 0;
            for (Object item : (Collection<?>) o) {
                walk(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Class<?> type = o.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            for (Field f : type.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                Object value;
                try {
                    f.setAccessible(true);
                    value = f.get(o);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new AssertionError(path + ": cannot read " + f, e);
                }
                if ("additionalProperties".equals(f.getName())) {
                    if (value instanceof Map && !((Map<?, ?>) value).isEmpty()) {
                        for (Object key : ((Map<?, ?>) value).keySet()) {
                            unknown.add(path + "." + key);
                        }
                    }
                    continue;
                }
                com.fasterxml.jackson.annotation.JsonProperty json =
                        f.getAnnotation(com.fasterxml.jackson.annotation.JsonProperty.class);
                String name = json != null && !json.value().isEmpty() ? json.value() : f.getName();
                walk(value, path + "." + name, unknown, seen);
            }
        }
    }

    /** Every resources.requests / limits value must be a valid Kubernetes quantity. */
    private static void checkQuantities(HasMetadata object, String where) {
        if (!(object instanceof Deployment) || ((Deployment) object).getSpec() == null
                || ((Deployment) object).getSpec().getTemplate() == null) {
            return;
        }
        for (Container c : ((Deployment) object).getSpec().getTemplate().getSpec().getContainers()) {
            if (c.getResources() == null) {
                continue;
            }
            Map<String, Quantity> requests = c.getResources().getRequests() == null ? Map.of() : c.getResources().getRequests();
            Map<String, Quantity> limits = c.getResources().getLimits() == null ? Map.of() : c.getResources().getLimits();
            for (Map.Entry<String, Quantity> e : requests.entrySet()) {
                bytes(e.getValue());
                Quantity limit = limits.get(e.getKey());
                if (limit != null) {
                    assertTrue(bytes(limit) >= bytes(e.getValue()),
                            where + ": " + c.getName() + " limit " + e.getKey() + " below its request");
                }
            }
            limits.values().forEach(KubernetesManifestsTest::bytes);
        }
    }

    // ------------------------------------------------------------------------------------------ kustomizations

    private static void checkKustomization(Path file, JsonNode doc, String where) {
        Map<String, Object> k = asMap(doc, where);
        Set<String> unknown = new LinkedHashSet<>(k.keySet());
        unknown.removeAll(KUSTOMIZATION_KEYS);
        assertTrue(unknown.isEmpty(), where + ": unknown kustomization fields " + unknown);
        String kind = String.valueOf(k.get("kind"));
        if ("Kustomization".equals(kind)) {
            assertEquals("kustomize.config.k8s.io/v1beta1", k.get("apiVersion"), where + ": apiVersion");
        } else if ("Component".equals(kind)) {
            assertEquals("kustomize.config.k8s.io/v1alpha1", k.get("apiVersion"), where + ": apiVersion");
        } else {
            fail(where + ": kind must be Kustomization or Component, was " + kind);
        }
        Path dir = file.getParent();
        for (Object r : list(k.get("resources"))) {
            String ref = r.toString();
            assertFalse(ref.contains("://") || ref.startsWith("github.com/"), where + ": remote resource " + ref);
            Path p = dir.resolve(ref).normalize();
            assertTrue(Files.isRegularFile(p) || Files.isRegularFile(p.resolve("kustomization.yaml")),
                    where + ": resource " + ref + " does not exist (or is a folder without kustomization.yaml)");
            assertTrue(p.startsWith(K8S), where + ": resource " + ref + " outside k8s/");
        }
        for (Object r : list(k.get("components"))) {
            Path p = dir.resolve(r.toString()).normalize();
            assertTrue(Files.isRegularFile(p.resolve("kustomization.yaml")), where + ": component " + r + " missing");
            Map<String, Object> component = asMap(readDocumentsUnchecked(p.resolve("kustomization.yaml")).get(0), r.toString());
            assertEquals("Component", component.get("kind"), where + ": " + r + " is not a Component");
        }
        for (Object entry : list(k.get("patches"))) {
            Map<?, ?> patch = (Map<?, ?>) entry;
            assertKeys(patch, PATCH_KEYS, where + ": patch");
            assertTrue(patch.containsKey("path") ^ patch.containsKey("patch"), where + ": patch needs path or patch");
            if (patch.containsKey("target")) {
                assertKeys((Map<?, ?>) patch.get("target"), TARGET_KEYS, where + ": patch target");
            }
            if (patch.containsKey("path")) {
                Path p = dir.resolve(patch.get("path").toString()).normalize();
                assertTrue(Files.isRegularFile(p), where + ": patch " + patch.get("path") + " does not exist");
                Object targetKind = patch.containsKey("target") ? ((Map<?, ?>) patch.get("target")).get("kind") : null;
                if (targetKind != null) {
                    assertEquals(targetKind, readDocumentsUnchecked(p).get(0).path("kind").asText(),
                            where + ": patch " + patch.get("path") + " kind differs from its target");
                }
            }
        }
        for (Object entry : list(k.get("configMapGenerator"))) {
            Map<?, ?> gen = (Map<?, ?>) entry;
            assertKeys(gen, GENERATOR_KEYS, where + ": configMapGenerator");
            assertNotNull(gen.get("name"), where + ": configMapGenerator without name");
            for (Object literal : list(gen.get("literals"))) {
                String s = literal.toString();
                int eq = s.indexOf('=');
                assertTrue(eq > 0, where + ": literal without KEY=: " + s);
                assertTrue(ENV_NAME.matcher(s.substring(0, eq)).matches(),
                        where + ": " + s.substring(0, eq) + " is not an environment variable name");
            }
            for (String key : List.of("envs", "files")) {
                for (Object f : list(gen.get(key))) {
                    String path = f.toString().contains("=") ? f.toString().substring(f.toString().indexOf('=') + 1) : f.toString();
                    assertTrue(Files.isRegularFile(dir.resolve(path)), where + ": " + key + " " + f + " does not exist");
                }
            }
        }
        for (Object entry : list(k.get("images"))) {
            assertKeys((Map<?, ?>) entry, IMAGE_KEYS, where + ": images");
        }
        for (Object entry : list(k.get("labels"))) {
            assertKeys((Map<?, ?>) entry, LABEL_KEYS, where + ": labels");
        }
    }

    private static void assertKeys(Map<?, ?> map, Set<String> allowed, String where) {
        Set<Object> unknown = new LinkedHashSet<>(map.keySet());
        unknown.removeAll(allowed);
        assertTrue(unknown.isEmpty(), where + ": unknown fields " + unknown);
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static Map.Entry<String, Class<? extends HasMetadata>> kind(String apiVersion,
            Class<? extends HasMetadata> type) {
        return Map.entry(apiVersion, type);
    }

    private static boolean isKustomization(Path file) {
        String name = file.getFileName().toString();
        return name.equals("kustomization.yaml") || name.equals("kustomization.yml");
    }

    private static List<JsonNode> readDocuments(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    private static List<JsonNode> readDocumentsUnchecked(Path file) {
        try {
            return readDocuments(file);
        } catch (IOException e) {
            throw new AssertionError(file + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(JsonNode doc, String where) {
        assertTrue(doc.isObject(), where + ": not a mapping");
        return JsonMapper.builder().build().convertValue(doc, Map.class);
    }

    private static List<?> list(Object o) {
        return o == null ? List.of() : (List<?>) o;
    }

    private static <T extends HasMetadata> T load(String relative, Class<T> type) {
        List<JsonNode> docs = readDocumentsUnchecked(K8S.resolve(relative));
        assertEquals(1, docs.size(), relative + ": one document expected");
        return type.cast(parseStrictly(docs.get(0), relative));
    }

    private static Deployment baseDeployment() {
        return load("base/deployment.yaml", Deployment.class);
    }

    private static Container container(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> APP.equals(c.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container named " + APP));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }

    private static Map<String, Object> kustomization(String dir) {
        return asMap(readDocumentsUnchecked(K8S.resolve(dir).resolve("kustomization.yaml")).get(0), dir);
    }

    private static Map<?, ?> generator(Map<String, Object> k, String name) {
        return list(k.get("configMapGenerator")).stream().map(g -> (Map<?, ?>) g)
                .filter(g -> name.equals(g.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no configMapGenerator " + name));
    }

    private static Map<String, String> literals(Map<String, Object> k, String name) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Object literal : list(generator(k, name).get("literals"))) {
            String s = literal.toString();
            out.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        }
        return out;
    }

    private static Map<String, String> baseConfig() {
        return literals(kustomization("base"), "slm-serve-config");
    }

    private static Map<?, ?> image(Map<String, Object> k, String name) {
        return list(k.get("images")).stream().map(i -> (Map<?, ?>) i).filter(i -> name.equals(i.get("name")))
                .findFirst().orElseThrow(() -> new AssertionError("no images entry " + name));
    }

    private static Map<String, String> subset(Map<String, String> labels, Map<String, String> selector) {
        Map<String, String> out = new LinkedHashMap<>();
        selector.keySet().forEach(key -> {
            if (labels.containsKey(key)) {
                out.put(key, labels.get(key));
            }
        });
        return out;
    }

    private static void assertProbe(Probe probe, String what, String path) {
        assertNotNull(probe, "no " + what);
        HTTPGetAction get = probe.getHttpGet();
        assertNotNull(get, what + " is not an HTTP GET");
        assertEquals(path, get.getPath(), what + " path");
        String port = get.getPort().getStrVal() != null ? get.getPort().getStrVal() : String.valueOf(get.getPort().getIntVal());
        assertTrue(port.equals("http") || port.equals("8080"), what + " port " + port);
    }

    private static int budgetSeconds(Probe p) {
        int period = p.getPeriodSeconds() == null ? 10 : p.getPeriodSeconds();
        int failures = p.getFailureThreshold() == null ? 3 : p.getFailureThreshold();
        return period * failures + (p.getInitialDelaySeconds() == null ? 0 : p.getInitialDelaySeconds());
    }

    private static long preStopSleepSeconds(LifecycleHandler preStop) {
        assertNotNull(preStop, "no preStop hook");
        if (preStop.getSleep() != null) {
            return preStop.getSleep().getSeconds();
        }
        assertNotNull(preStop.getExec(), "preStop is neither sleep nor exec");
        List<String> cmd = preStop.getExec().getCommand();
        assertEquals("sleep", cmd.get(0), "preStop exec is not sleep N: " + cmd);
        return Long.parseLong(cmd.get(1));
    }

    /** Quarkus durations: a number (seconds), 30s / 500ms / 2m / 1h, or ISO-8601 (PT30S). */
    static Duration quarkusDuration(String value) {
        assertNotNull(value, "duration unset");
        String v = value.trim();
        if (v.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(v));
        }
        if (v.matches("\\d+ms")) {
            return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        if (v.matches("\\d+[smhd]")) {
            return v.endsWith("d") ? Duration.ofDays(Long.parseLong(v.substring(0, v.length() - 1)))
                    : Duration.parse("PT" + v.toUpperCase(Locale.ROOT));
        }
        return Duration.parse(v.toUpperCase(Locale.ROOT));
    }

    private static long bytes(String quantity) {
        return bytes(new Quantity(quantity));
    }

    /** The quantity's value (bytes for memory, cores for cpu; rounded down); fails on a malformed quantity. */
    private static long bytes(Quantity q) {
        assertNotNull(q, "missing quantity");
        try {
            return Quantity.getAmountInBytes(q).longValue();
        } catch (RuntimeException e) {
            throw new AssertionError("not a Kubernetes quantity: " + q, e);
        }
    }

    private static boolean kubectlAvailable() {
        try {
            Process p = new ProcessBuilder(KUBECTL, "version", "--client").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String render(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(KUBECTL, "kustomize", dir.toString()).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize " + dir + " timed out");
        assertEquals(0, p.exitValue(), "kubectl kustomize " + dir + ": " + new String(err, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }
}
