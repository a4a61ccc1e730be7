package dev.ember.knative.rollout;

import io.fabric8.knative.client.KnativeClient;
import io.fabric8.knative.serving.v1.Service;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.ember.knative.rollout.KnativeMockCluster.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Optimistic locking on the mock API server: a write that raced another client is re-applied to the newer Service. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServiceEditorTest {

    private KnativeMockCluster cluster;
    private KnativeClient tool;
    private KnativeClient someoneElse;

    @BeforeEach
    void start() {
        cluster = KnativeMockCluster.start();
        tool = cluster.knativeClient();
        someoneElse = cluster.knativeClient();
        cluster.createService("embed", "ember/ember-jvm:0.1.0");
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void aWriteThatLostARaceIsReappliedOnTopOfTheOtherEdit() {
        ServiceEditor editor = new ServiceEditor(tool, NAMESPACE, 5, Pacer.system());
        AtomicInteger attempts = new AtomicInteger();

        Service written = editor.edit("embed", s -> {
            if (attempts.incrementAndGet() == 1) {
                // between our read and our write, someone else edits the Service
                someoneElse.services().inNamespace(NAMESPACE).withName("embed")
                        .edit(other -> {
                            other.getMetadata().getLabels().put("team", "search");
                            return other;
                        });
            }
            s.getMetadata().getAnnotations().put("rollout.ember.dev/phase", "Progressing");
            return s;
        });

        assertThat(attempts).hasValue(2);
        assertThat(editor.conflictsRetried()).isEqualTo(1);
        Service stored = tool.services().inNamespace(NAMESPACE).withName("embed").get();
        assertThat(stored.getMetadata().getLabels()).containsEntry("team", "search");
        assertThat(stored.getMetadata().getAnnotations()).containsEntry("rollout.ember.dev/phase", "Progressing");
        assertThat(written.getMetadata().getResourceVersion()).isEqualTo(stored.getMetadata().getResourceVersion());
    }

    @Test
    void itGivesUpAfterMaxAttemptsOfConflicts() {
        ServiceEditor editor = new ServiceEditor(tool, NAMESPACE, 3, Pacer.system());
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> editor.edit("embed", s -> {
            int n = attempts.incrementAndGet();
            someoneElse.services().inNamespace(NAMESPACE).withName("embed").edit(other -> {
                other.getMetadata().getLabels().put("edit", Integer.toString(n));
                return other;
            });
            return s;
        })).isInstanceOf(RolloutException.class).hasMessageContaining("changed under every one of 3 attempts");
        assertThat(attempts).hasValue(3);
        assertThat(editor.conflictsRetried()).isEqualTo(3);
    }

    @Test
    void aChangeMayRefuseWhenItsPreconditionNoLongerHolds() {
        ServiceEditor editor = new ServiceEditor(tool, NAMESPACE, 3, Pacer.system());

        assertThatThrownBy(() -> editor.edit("embed", s -> {
            throw new RolloutTakenOverException("phase changed");
        })).isInstanceOf(RolloutTakenOverException.class);
        assertThatThrownBy(() -> editor.edit("missing", s -> s))
                .isInstanceOf(RolloutException.class).hasMessageContaining("test/missing not found");
    }
}
