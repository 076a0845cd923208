/** The protocol's numbers, apart from the schemas so that the widget can import them without valibot. */

export const PROTOCOL_VERSION = 1;

/** The longest id (messageId, clientMsgId, conversationId) a frame may carry. */
export const MAX_ID_LENGTH = 128;

/**
 * The most answers one `hello` resumes: entries past the first this many
 * distinct `messageId`s (and repeats of one) are ignored. A client resumes
 * the answers it was streaming, one or two in practice.
 */
export const MAX_RESUME_ENTRIES = 32;
