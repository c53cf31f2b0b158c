package org.parasol.hypervisor.image;

/**
 * Prints JDK classes in the syntax of {@value GuestJdkApi#RESOURCE}, every member denied with
 * {@code JDK_ALLOW_LIST}, to review before adding them to the list:
 *
 * <pre>
 * java -cp pv-hypervisor/target/test-classes:pv-hypervisor/target/classes:hypercall-api/target/classes \
 *     org.parasol.hypervisor.image.GuestJdkApiGenerator java.util.UUID java/util/Base64
 * </pre>
 *
 * Allow what is harmless, give the rule each other member breaks, and add {@code extendable} if
 * guest classes may extend the class. {@code GuestJdkApiTest} then checks that its supertypes
 * are listed too.
 */
public final class GuestJdkApiGenerator {
    private GuestJdkApiGenerator() {
    }

    /** Prints each named class (binary or internal name). */
    public static void main(String... classNames) throws ClassNotFoundException {
        for (String name : classNames) {
            System.out.print(format(name.replace('.', '/')));
        }
    }

    /** One class in the list's syntax, ending with a newline. */
    static String format(String internalName) throws ClassNotFoundException {
        Class<?> c = JdkMembers.load(internalName);
        StringBuilder sb = new StringBuilder("class ").append(internalName).append('\n');
        for (String key : JdkMembers.declared(c)) {
            sb.append(JdkMembers.deniedLine(key)).append('\n');
        }
        return sb.toString();
    }
}
