package org.parasol.cli;

/**
 * A launch descriptor ({@code <image>.launch}, {@link LaunchPlan}) could not be read: a key
 * unknown or malformed, a domain name bad or given twice, a device whose back end is not
 * listed before it. The message names the file and says which, for the user.
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
