package dev.ember.runtime.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md's dependency rules, so that they cannot drift: ingress -> invoke -> traffic, pool, batch -> onnx,
 * repository; ingress packages never call each other; no cycles; only {@code onnx} touches ONNX Runtime and only
 * {@code tracing} the OpenTelemetry API.
 */
class LayeringTest {

    static final String BASE = "dev.ember.runtime";
    static final List<String> INGRESS = List.of("http", "protocol", "openai", "events");
    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(BASE);
    }

    static String pkg(String name) {
        return BASE + "." + name + "..";
    }

    @Test
    void layersPointOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Ingress").definedBy(INGRESS.stream().map(LayeringTest::pkg).toArray(String[]::new))
                .layer("Invoke").definedBy(pkg("invoke"))
                .layer("Scheduling").definedBy(pkg("traffic"), pkg("pool"), pkg("batch"), pkg("generate"))
                .layer("Engine").definedBy(pkg("onnx"), pkg("repository"))
                .layer("Lifecycle").definedBy(pkg("health"), pkg("lifecycle"), pkg("management"))
                .layer("Foundation").definedBy(pkg("api"), pkg("config"), pkg("metrics"), pkg("codec"), pkg("host"),
                        pkg("tracing"))
                .whereLayer("Ingress").mayNotBeAccessedByAnyLayer()
                .whereLayer("Invoke").mayOnlyBeAccessedByLayers("Ingress")
                .whereLayer("Scheduling").mayOnlyBeAccessedByLayers("Ingress", "Invoke", "Lifecycle")
                .whereLayer("Engine").mayOnlyBeAccessedByLayers("Ingress", "Invoke", "Scheduling", "Lifecycle")
                .whereLayer("Lifecycle").mayOnlyBeAccessedByLayers("Ingress")
                .check(classes);
    }

    @Test
    void ingressPackagesNeverCallEachOther() {
        for (String from : INGRESS) {
            String[] others = INGRESS.stream().filter(p -> !p.equals(from)).map(LayeringTest::pkg)
                    .toArray(String[]::new);
            noClasses().that().resideInAPackage(pkg(from)).should().dependOnClassesThat().resideInAnyPackage(others)
                    .allowEmptyShould(true).check(classes);
        }
    }

    @Test
    void noCyclesBetweenPackages() {
        slices().matching(BASE + ".(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void onlyOnnxTouchesOnnxRuntime() {
        noClasses().that().resideOutsideOfPackage(pkg("onnx")).should().dependOnClassesThat()
                .resideInAPackage("ai.onnxruntime..").check(classes);
    }

    @Test
    void onlyTracingTouchesOpenTelemetry() {
        noClasses().that().resideOutsideOfPackage(pkg("tracing")).should().dependOnClassesThat()
                .resideInAPackage("io.opentelemetry..").check(classes);
    }

    @Test
    void nothingBelowTheIngressKnowsAboutHttp() {
        noClasses().that().resideOutsideOfPackages(INGRESS.stream().map(LayeringTest::pkg).toArray(String[]::new))
                .should().dependOnClassesThat().resideInAnyPackage("jakarta.ws.rs..", "io.vertx.core.http..",
                        "io.vertx.ext.web..", "org.jboss.resteasy..")
                .check(classes);
    }
}
