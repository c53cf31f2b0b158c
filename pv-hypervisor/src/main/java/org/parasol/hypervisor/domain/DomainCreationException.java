package org.parasol.hypervisor.domain;

/** A domain could not be created: bad config, no memory, an image that failed to load or was refused. */
public final class DomainCreationException extends Exception {
    private static final long serialVersionUID = 1L;

    public DomainCreationException(String message) {
        super(message);
    }

    public DomainCreationException(String message, Throwable cause) {
        super(message, cause);
    }
}
