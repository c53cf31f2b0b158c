package org.parasol.hypervisor.image;

import java.util.Objects;

/**
 * One place where a guest class breaks a {@link GuestApiRule}.
 *
 * @param className binary name of the guest class ({@code org.example.Evil})
 * @param member    the method ({@code run()V}) whose code breaks the rule, or a description of
 *                  where else the reference sits ({@code constant pool}, {@code class file})
 * @param rule      the rule broken
 * @param detail    what the code does, with JVM internal names
 *                  ({@code calls java/lang/System.exit(I)V})
 */
public record Violation(String className, String member, GuestApiRule rule, String detail) {
    /** Checks that every component is present. */
    public Violation {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String toString() {
        return "class " + className + ", " + member + ": rule '" + rule.phrase() + "': " + detail;
    }
}
