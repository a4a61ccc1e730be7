package dev.ember.runtime.api;

/** One message of a chat, as the model's chat template sees it: {@code role} is system, user, assistant or tool. */
public record ChatMessage(String role, String content) {
}
