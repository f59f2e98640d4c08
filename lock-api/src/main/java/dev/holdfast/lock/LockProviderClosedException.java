package dev.holdfast.lock;

/**
 * A lock operation was asked of a provider after {@link LockProvider#close()}: misuse, not a backend
 * failure. It is an {@link IllegalStateException}, so code that caught that type keeps working.
 */
public class LockProviderClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message names the provider (its backend) that was closed
     */
    public LockProviderClosedException(String message) {
        super(message);
    }
}
