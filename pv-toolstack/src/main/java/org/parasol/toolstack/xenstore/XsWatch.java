package org.parasol.toolstack.xenstore;

/**
 * A registered watch.
 *
 * @param path     the absolute path watched, or a special path ({@code @releaseDomain})
 * @param asGiven  the path as the client wrote it (relative paths are reported relative)
 * @param token    the client's token, echoed in every event
 * @param depth    how many levels below {@code path} fire it; -1 for any depth
 */
record XsWatch(String path, String asGiven, String token, int depth) {
    /** Whether a change at {@code changed} fires this watch, and with which path; null if not. */
    String firedBy(String changed) {
        if (XsPath.isSpecial(path) || XsPath.isSpecial(changed)) {
            return path.equals(changed) ? changed : null;
        }
        if (XsPath.isAtOrBelow(changed, path)) {
            return depth < 0 || XsPath.depthBelow(changed, path) <= depth ? changed : null;
        }
        return null;
    }
}
