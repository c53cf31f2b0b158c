package org.parasol.hypervisor.domain;

/**
 * Turns a throwable that came out of guest code into a host-owned string.
 *
 * <p>We can't trust the guest's throwables: {@code toString}, {@code getMessage},
 * {@code getCause} and {@code getStackTrace} are guest code when the guest's class overrides
 * them, and may loop, block or throw. A host logger that printed one would run that code on
 * its own thread, possibly while holding its stream's lock (as {@code printStackTrace} holds
 * {@code System.err}'s). So a guest throwable is described once, here, on the vCPU's own
 * thread with no hypervisor lock held, and only the resulting string goes to logs and
 * consoles. The description is bounded in length and in causes followed.
 */
public final class GuestThrowables {
    /** Longest description kept. */
    static final int MAX_CHARS = 2048;
    /** Causes followed after the throwable itself. */
    static final int MAX_CAUSES = 4;

    private GuestThrowables() {
    }

    /**
     * {@code "<class>: <message>"} for {@code t} and up to {@link #MAX_CAUSES} causes
     * ({@code "... caused by ..."}), at most {@link #MAX_CHARS} characters. The class name is
     * read with {@code getClass()} (final, not guest code); the message with
     * {@code getMessage()}, which may be the guest's: a message that throws is described as
     * such. Runs guest code on the calling thread; call it only on the guest's vCPU thread.
     */
    public static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Throwable cur = t;
        for (int depth = 0; cur != null && depth <= MAX_CAUSES && sb.length() < MAX_CHARS; depth++) {
            if (depth > 0) {
                sb.append(" caused by ");
            }
            sb.append(cur.getClass().getName());
            String msg;
            try {
                msg = cur.getMessage();
            } catch (StackOverflowError e) {
                throw e;
            } catch (Throwable e) {
                msg = "(its getMessage threw " + e.getClass().getName() + ")";
            }
            if (msg != null) {
                sb.append(": ").append(msg, 0, Math.min(msg.length(), MAX_CHARS));
            }
            Throwable next;
            try {
                next = cur.getCause();
            } catch (StackOverflowError e) {
                throw e;
            } catch (Throwable e) {
                next = null;
            }
            cur = next == cur ? null : next;
        }
        if (sb.length() > MAX_CHARS) {
            sb.setLength(MAX_CHARS);
            sb.append("...");
        }
        return sb.toString();
    }
}
