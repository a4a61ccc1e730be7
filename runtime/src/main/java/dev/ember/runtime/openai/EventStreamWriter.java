package dev.ember.runtime.openai;

import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.Provider;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveResourceInfo;
import org.jboss.resteasy.reactive.server.spi.ServerMessageBodyWriter;
import org.jboss.resteasy.reactive.server.spi.ServerRequestContext;

import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;

/**
 * Writes an {@link EventStream} without blocking: Quarkus REST hands over the response once the resource's future
 * completed (the generation admitted), and the stream writes and ends it from then on.
 */
@Provider
@Produces(EventStream.MEDIA_TYPE)
public class EventStreamWriter implements ServerMessageBodyWriter<EventStreamWriter.Admitted> {

    /** A stream with the generation it follows, as the entity of the response. */
    record Admitted(EventStream stream, dev.ember.runtime.generate.Generation generation) {
    }

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, ResteasyReactiveResourceInfo target,
            MediaType mediaType) {
        return Admitted.class.isAssignableFrom(type);
    }

    @Override
    public void writeResponse(Admitted entity, Type genericType, ServerRequestContext context) {
        entity.stream().attach(context.serverResponse(), entity.generation());
    }

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return Admitted.class.isAssignableFrom(type);
    }

    @Override
    public void writeTo(Admitted entity, Class<?> type, Type genericType, Annotation[] annotations,
            MediaType mediaType, MultivaluedMap<String, Object> httpHeaders, OutputStream entityStream) {
        // only reached through a writer interceptor, which Ember does not register
        throw new IllegalStateException("an event stream is written without blocking");
    }
}
