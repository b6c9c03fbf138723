package io.slmserve;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import org.junit.jupiter.api.Test;

/** The package arrows of docs/architecture.md, enforced. */
class ArchitectureTest {

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.slmserve");

    private static void only(String pkg, String... allowed) {
        String[] permitted = new String[allowed.length + 1];
        permitted[0] = "io.slmserve." + pkg + "..";
        for (int i = 0; i < allowed.length; i++) {
            permitted[i + 1] = "io.slmserve." + allowed[i] + "..";
        }
        ArchRuleDefinition.noClasses().that().resideInAPackage("io.slmserve." + pkg + "..")
                .should().dependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
                        "io.slmserve classes outside " + java.util.Arrays.toString(permitted),
                        (com.tngtech.archunit.core.domain.JavaClass c) -> c.getPackageName().startsWith("io.slmserve")
                                && java.util.Arrays.stream(permitted).noneMatch(p -> c.getPackageName()
                                        .startsWith(p.substring(0, p.length() - 2)))))
                .check(CLASSES);
    }

    @Test
    void packageArrowsPointOneWay() {
        only("core");
        only("config");
        only("hf", "core");
        only("chat");
        only("tools");
        only("engine", "core", "config", "hf");
        only("registry", "core", "config", "hf", "tools");
        only("batching", "core");
        only("generation", "core");
        only("constraint", "core");
        only("adapters", "core", "config", "registry");
        only("inference", "core", "config", "registry", "batching", "generation", "hf", "tools", "chat", "constraint",
                "adapters");
        only("api", "core", "config", "inference", "tools");
        only("observability", "core", "config", "registry", "inference");
    }

    @Test
    void onlyTheEngineTouchesDjl() {
        ArchRuleDefinition.noClasses().that().resideOutsideOfPackage("io.slmserve.engine..")
                .should().dependOnClassesThat().resideInAPackage("ai.djl..").check(CLASSES);
    }

    @Test
    void noCycles() {
        slices().matching("io.slmserve.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void coreIsFrameworkFree() {
        ArchRuleDefinition.noClasses().that().resideInAPackage("io.slmserve.core..")
                .should().dependOnClassesThat().resideInAnyPackage("io.quarkus..", "jakarta..", "ai.djl..")
                .check(CLASSES);
    }
}
