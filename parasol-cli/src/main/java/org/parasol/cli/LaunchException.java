package org.parasol.cli;

/**
 * A launch plan could not be carried out: its {@code .launch} descriptor is malformed, or a
 * multi-domain launch broke off (no offer line, a malformed one, an offer for the wrong
 * domain, the offering domain ended first). The message says which, for the user.
 */
final class LaunchException extends Exception {
    private static final long serialVersionUID = 1L;

    LaunchException(String message) {
        super(message);
    }

    LaunchException(String message, Throwable cause) {
        super(message, cause);
    }
}
