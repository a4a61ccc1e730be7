package dev.ember.runtime.openai;

import dev.ember.runtime.api.InferenceFailedException;
import dev.ember.runtime.codec.openai.CompletionBodies;
import dev.ember.runtime.generate.Generation;
import dev.ember.runtime.generate.GenerationResult;
import dev.ember.runtime.generate.TokenSink;
import dev.ember.runtime.invoke.Failure;
import io.vertx.core.Context;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.spi.ServerHttpResponse;

import java.nio.charset.StandardCharsets;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A generation as server-sent events: {@code data: {chunk}\n\n} per chunk, then {@code data: [DONE]\n\n}; a failure
 * after the first byte is one error event in OpenAI's shape, then the end. The engine's callbacks only queue and
 * return; the connection's event loop writes, and stops writing while the socket's write queue is full. Text that
 * piles up meanwhile is sent as one chunk when the client catches up, so a slow client holds the text, not a chunk per
 * token. Nothing is written before {@link #attach}, which the response writer calls once the generation is admitted.
 */
final class EventStream implements TokenSink {

    private static final Logger LOG = Logger.getLogger(EventStream.class);
    static final String MEDIA_TYPE = "text/event-stream";
    private static final byte[] DONE = frame("[DONE]".getBytes(StandardCharsets.UTF_8));
    /** The queue's last item: the response ends after it. */
    private static final Object END = new Object();

    private final CompletionBodies bodies;
    private final Context context;
    /** Text deltas (String) and whole frames (byte[]), in order, then {@link #END}. */
    private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile ServerHttpResponse response;
    /** Set while the drainer waits for the socket; whoever clears it (drain handler or drainer) drains on. */
    private final AtomicBoolean paused = new AtomicBoolean();
    private boolean ended;

    EventStream(CompletionBodies bodies, Context context) {
        this.bodies = bodies;
        this.context = context;
    }

    /** The first chunk of a chat stream names the role; queued at once, so it precedes any text. */
    static EventStream of(CompletionBodies bodies, boolean chat, Context context) {
        EventStream stream = new EventStream(bodies, context);
        if (chat) {
            stream.queue.add(frame(bodies.roleChunk()));
        }
        return stream;
    }

    @Override
    public void text(String delta) {
        if (delta != null && !delta.isEmpty()) {
            queue.add(delta);
            schedule();
        }
    }

    @Override
    public void finished(GenerationResult result) {
        queue.add(frame(bodies.finishChunk(result.finishReason().wire())));
        if (bodies.includeUsage()) {
            queue.add(frame(bodies.usageChunk(result.promptTokens(), result.completionTokens())));
        }
        queue.add(DONE);
        queue.add(END);
        schedule();
    }

    @Override
    public void failed(Throwable failure) {
        if (Failure.unwrap(failure) instanceof CancellationException) {
            // cancelled because the client left: there is no one to tell
            queue.add(END);
            schedule();
            return;
        }
        Failure kind = Failure.of(failure);
        String message = Failure.unwrap(failure).getMessage();
        if (kind == Failure.INTERNAL || message == null) {
            LOG.errorf(failure, "a stream failed after its first byte");
            // as the error mapper says it: which function failed, nothing of the cause
            message = Failure.unwrap(failure) instanceof InferenceFailedException ? message + ": internal error"
                    : "internal error";
        }
        queue.add(frame(CompletionBodies.error(kind.status, message)));
        queue.add(END);
        schedule();
    }

    /** Starts writing to {@code to}: the generation is admitted and the status and headers may go. */
    void attach(ServerHttpResponse to, Generation generation) {
        to.setChunked(true);
        to.addDrainHandler(this::resume);
        // a client that leaves before the end frees its sequence; after the end cancel changes nothing
        to.addCloseHandler(generation::cancel);
        this.response = to;
        schedule();
    }

    private void schedule() {
        if (response != null && pending.getAndIncrement() == 0) {
            if (context != null) {
                context.runOnContext(v -> drain());
            } else {
                drain();
            }
        }
    }

    private void resume() {
        if (paused.compareAndSet(true, false)) {
            drain();
        }
    }

    /** On the event loop, one drainer at a time: writes what is queued until the socket is full or the end. */
    private void drain() {
        int missed = 1;
        ServerHttpResponse out = response;
        while (true) {
            while (!ended) {
                if (out.closed()) {
                    ended = true;
                    queue.clear();
                    break;
                }
                if (out.isWriteQueueFull()) {
                    // the drain handler resumes; what arrives meanwhile only queues
                    paused.set(true);
                    if (!out.isWriteQueueFull() && paused.compareAndSet(true, false)) {
                        continue;
                    }
                    return;
                }
                Object item = queue.poll();
                if (item == null) {
                    break;
                }
                if (item == END) {
                    ended = true;
                    out.end();
                    break;
                }
                if (item instanceof String text) {
                    StringBuilder more = null;
                    while (queue.peek() instanceof String next) {
                        queue.poll();
                        if (more == null) {
                            more = new StringBuilder(text);
                        }
                        more.append(next);
                    }
                    out.write(frame(bodies.textChunk(more == null ? text : more.toString())));
                } else {
                    out.write((byte[]) item);
                }
            }
            missed = pending.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    static byte[] frame(byte[] json) {
        byte[] frame = new byte[json.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, frame, 0, 6);
        System.arraycopy(json, 0, frame, 6, json.length);
        frame[frame.length - 2] = '\n';
        frame[frame.length - 1] = '\n';
        return frame;
    }
}
