package dev.ember.it;

import dev.ember.runtime.api.GenerationRequest;
import dev.ember.runtime.api.GeneratorFunction;
import dev.ember.runtime.api.InvalidInputException;
import io.quarkus.arc.lookup.LookupIfProperty;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Java function wrapping a generator, as a user would write one: it puts a fixed preamble before every prompt,
 * refuses chat, and (for the tests) a prompt starting with {@code FAIL} gets a logits processor that throws on its
 * fourth step, so the stream fails after its first byte. Only where {@link GeneratorRepository} configures it.
 */
@ApplicationScoped
@LookupIfProperty(name = "it.shaped-generator", stringValue = "true")
public class ShapedGenerator implements GeneratorFunction {

    static final String NAME = "shaped";
    static final String PREAMBLE = "Story: ";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public GenerationRequest shape(GenerationRequest request) {
        if (request.chat()) {
            throw new InvalidInputException("'messages': function 'shaped' takes a prompt, on /v1/completions");
        }
        GenerationRequest shaped = request.withPrompt(PREAMBLE + request.prompt());
        if (request.prompt().startsWith("FAIL")) {
            AtomicInteger steps = new AtomicInteger();
            shaped = shaped.withProcessor((tokens, logits) -> {
                if (steps.incrementAndGet() == 4) {
                    throw new IllegalStateException("a fault of the function's own code");
                }
            });
        }
        return shaped;
    }
}
