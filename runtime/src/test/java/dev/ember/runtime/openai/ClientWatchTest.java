package dev.ember.runtime.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.UnavailableException;
import dev.ember.runtime.generate.Generation;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * A client that leaves cancels its generation whenever it leaves: while its sequence waits (the admission future is
 * cancelled, which withdraws it), or once admitted (the generation); and its cancelled answer is no failure.
 */
class ClientWatchTest {

    @Test
    void leavingWhileQueuedCancelsTheAdmission() {
        CompletionsResource.ClientWatch watch = new CompletionsResource.ClientWatch(null);
        CompletableFuture<Generation> admission = new CompletableFuture<>();
        watch.follow(admission);
        watch.left();
        assertThat(admission).isCancelled();
    }

    @Test
    void leavingBeforeTheAdmissionIsFollowedCancelsItToo() {
        CompletionsResource.ClientWatch watch = new CompletionsResource.ClientWatch(null);
        watch.left();
        CompletableFuture<Generation> admission = new CompletableFuture<>();
        watch.follow(admission);
        assertThat(admission).isCancelled();
    }

    @Test
    void leavingOnceAdmittedCancelsTheGeneration() {
        CompletionsResource.ClientWatch watch = new CompletionsResource.ClientWatch(null);
        CompletableFuture<Generation> admission = new CompletableFuture<>();
        watch.follow(admission);
        EventStreamTest.FakeGeneration g = new EventStreamTest.FakeGeneration();
        admission.complete(g);
        assertThat(g.cancelled.get()).isZero();
        watch.left();
        assertThat(g.cancelled.get()).isEqualTo(1);
    }

    @Test
    void aGenerationAdmittedAfterTheClientLeftIsCancelled() {
        CompletionsResource.ClientWatch watch = new CompletionsResource.ClientWatch(null);
        // scheduled by the engine as the client left: the cancel came too late to withdraw it
        CompletableFuture<Generation> admission = new CompletableFuture<>() {
            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                return false;
            }
        };
        watch.follow(admission);
        watch.left();
        EventStreamTest.FakeGeneration g = new EventStreamTest.FakeGeneration();
        admission.complete(g);
        assertThat(g.cancelled.get()).isEqualTo(1);
    }

    @Test
    void theCancelledAnswerOfAClientThatLeftIsNoFailure() {
        CompletionsResource.ClientWatch watch = new CompletionsResource.ClientWatch(null);
        CompletableFuture<Generation> admission = new CompletableFuture<>();
        watch.follow(admission);
        CompletionStage<Response> answer = watch.quietIfLeft(admission.thenApply(g -> Response.ok().build()));
        watch.left();
        Response r = answer.toCompletableFuture().join();
        assertThat(r.getStatus()).isEqualTo(CompletionsResource.CLIENT_CLOSED_REQUEST);
    }

    @Test
    void otherFailuresStayFailures() {
        CompletionsResource.ClientWatch watch = new CompletionsResource.ClientWatch(null);
        CompletableFuture<Generation> admission = new CompletableFuture<>();
        watch.follow(admission);
        CompletionStage<Response> answer = watch.quietIfLeft(admission.thenApply(g -> Response.ok().build()));
        admission.completeExceptionally(new UnavailableException("full", Duration.ofSeconds(1)));
        assertThatThrownBy(() -> answer.toCompletableFuture().join()).hasCauseInstanceOf(UnavailableException.class);
        // a cancellation whose client is still there (not this watch's doing) is a failure too
        CompletionsResource.ClientWatch staying = new CompletionsResource.ClientWatch(null);
        CompletableFuture<Generation> other = new CompletableFuture<>();
        CompletionStage<Response> cancelled = staying.quietIfLeft(other.thenApply(g -> Response.ok().build()));
        other.cancel(false);
        assertThatThrownBy(() -> cancelled.toCompletableFuture().join())
                .hasCauseInstanceOf(CancellationException.class);
    }
}
