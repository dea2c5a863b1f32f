// Limits shared by the moderation library and its callers, in a module of
// their own so that `mod --help` can show them without loading a model.

/** Longer text is refused (TextTooLongError): scoring cost stays bounded. */
export const DEFAULT_MAX_TEXT_LENGTH = 20_000;
