package org.parasol.hypervisor.image;

import java.util.Objects;

/**
 * A static field that makes its image unfit for a shared class loader: it is not final, or
 * its type is not known to be immutable. One such field means two domains of the image could
 * see each other's state through it, so each domain gets its own loader.
 *
 * @param className  binary name of the declaring class
 * @param field      field name
 * @param descriptor field descriptor ({@code I}, {@code Ljava/util/List;}, ...)
 * @param reason     why it is not shareable
 */
public record StaticFieldFinding(String className, String field, String descriptor, String reason) {
    /** Checks that every component is present. */
    public StaticFieldFinding {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(descriptor, "descriptor");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return "class " + className + ", field " + field + " (" + descriptor + "): " + reason;
    }
}
