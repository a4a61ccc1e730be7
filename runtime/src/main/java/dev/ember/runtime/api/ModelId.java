package dev.ember.runtime.api;

/** A model version: the unit that is loaded, batched, routed to and measured. */
public record ModelId(String model, int version) {

    @Override
    public String toString() {
        return model + "/" + version;
    }
}
