package dev.ember.knative.rollout;

import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.serving.v1.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * fabric8's mock API server in CRUD mode, on loopback, knowing Knative's Service and Revision CRDs (from the
 * vendored copies in test resources, so it applies the status subresource the way the API server does: a PUT of
 * the Service keeps the stored status, a PUT of .../status changes only the status; both check resourceVersion).
 */
public final class KnativeMockCluster implements AutoCloseable {

    public static final String NAMESPACE = "test";
    static final String SERVICES_PATH = "/apis/serving.knative.dev/v1/namespaces/" + NAMESPACE + "/services";

    private final KubernetesMockServer server;
    private final RecordingCrudDispatcher dispatcher;
    private final List<KubernetesClient> clients = new ArrayList<>();

    private KnativeMockCluster(RecordingCrudDispatcher dispatcher) {
        this.dispatcher = dispatcher;
        this.server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(),
                new HashMap<>(), dispatcher, false);
        try {
            server.init(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static KnativeMockCluster start() {
        return new KnativeMockCluster(new RecordingCrudDispatcher());
    }

    static List<CustomResourceDefinitionContext> servingCrds() {
        KubernetesSerialization serialization = new KubernetesSerialization();
        List<CustomResourceDefinitionContext> contexts = new ArrayList<>();
        for (String file : List.of("serving-service.yaml", "serving-revision.yaml")) {
            try (InputStream in = KnativeMockCluster.class.getResourceAsStream("/knative-crds/" + file)) {
                if (in == null) {
                    throw new IllegalStateException("knative-crds/" + file + " not on the test class path");
                }
                contexts.add(CustomResourceDefinitionContext.fromCrd(
                        serialization.unmarshal(in, CustomResourceDefinition.class)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return contexts;
    }

    public KubernetesClient kubernetesClient() {
        KubernetesClient client = server.createClient();
        synchronized (clients) {
            clients.add(client);
        }
        return client;
    }

    public KnativeClient knativeClient() {
        return kubernetesClient().adapt(KnativeClient.class);
    }

    public RecordingCrudDispatcher dispatcher() {
        return dispatcher;
    }

    /** A Knative Service with one container, as `kubectl apply` of knative/serving/embed.yaml would create it. */
    public Service createService(String name, String image) {
        Service service = new ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE)
                .addToLabels("app.kubernetes.io/name", "ember")
                .addToAnnotations("example.com/owner", "ml-platform")
                .endMetadata()
                .withNewSpec()
                .withNewTemplate()
                .withNewMetadata().addToAnnotations("autoscaling.knative.dev/min-scale", "0").endMetadata()
                .withNewSpec()
                .withContainerConcurrency(32L)
                .addNewContainer().withName("ember").withImage(image).addNewPort().withContainerPort(8080).endPort()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
        return knativeClient().services().inNamespace(NAMESPACE).resource(service).create();
    }

    @Override
    public void close() {
        synchronized (clients) {
            clients.forEach(KubernetesClient::close);
        }
        server.destroy();
    }
}
