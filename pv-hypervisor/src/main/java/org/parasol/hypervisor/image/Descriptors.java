package org.parasol.hypervisor.image;

/**
 * Field and method descriptors (JVMS 4.3), parsed in one left-to-right pass: each character is
 * looked at once, and the only allocation is one string per class name found. A malformed
 * descriptor is reported, never thrown.
 *
 * <pre>
 *   FieldType        = B | C | D | F | I | J | S | Z | L ClassName ; | [ FieldType   (at most 255 [)
 *   MethodDescriptor = ( FieldType* ) ( FieldType | V )
 *   ClassName        = segments separated by /, none empty, none holding . ; [ or /
 * </pre>
 */
final class Descriptors {
    private Descriptors() {
    }

    /** Most array dimensions the JVM accepts in a descriptor. */
    static final int MAX_ARRAY_DIMENSIONS = 255;

    /** Receives each class name (internal form, array brackets removed) a descriptor mentions. */
    @FunctionalInterface
    interface ClassNames {
        void accept(String internalName);
    }

    private static final ClassNames IGNORE = name -> {
    };

    /** Whether {@code s} is a well-formed field descriptor. */
    static boolean isFieldDescriptor(String s) {
        return fieldDescriptor(s, IGNORE);
    }

    /** Whether {@code s} is a well-formed method descriptor. */
    static boolean isMethodDescriptor(String s) {
        return methodDescriptor(s, IGNORE);
    }

    /** Parses a field descriptor, passing each class name to {@code names}; false if malformed. */
    static boolean fieldDescriptor(String s, ClassNames names) {
        return fieldType(s, 0, names) == s.length();
    }

    /** Parses a method descriptor, passing each class name to {@code names}; false if malformed. */
    static boolean methodDescriptor(String s, ClassNames names) {
        if (s.isEmpty() || s.charAt(0) != '(') {
            return false;
        }
        int i = 1;
        while (i < s.length() && s.charAt(i) != ')') {
            i = fieldType(s, i, names);
            if (i < 0) {
                return false;
            }
        }
        if (i >= s.length()) {
            return false;
        }
        i++;
        if (i == s.length() - 1 && s.charAt(i) == 'V') {
            return true;
        }
        return fieldType(s, i, names) == s.length();
    }

    /**
     * The class a class-constant name is about: the name itself, or for an array descriptor
     * ({@code [[Ljava/lang/String;}) its element class; {@code null} for arrays of primitives and
     * {@code ""} for malformed names.
     */
    static String elementClass(String classConstantName) {
        if (classConstantName.isEmpty()) {
            return "";
        }
        if (classConstantName.charAt(0) != '[') {
            return isClassName(classConstantName, 0, classConstantName.length()) ? classConstantName : "";
        }
        String[] found = new String[1];
        if (!fieldDescriptor(classConstantName, name -> found[0] = name)) {
            return "";
        }
        return found[0];
    }

    /** Parses one field type starting at {@code i}; the index after it, or -1 if malformed. */
    private static int fieldType(String s, int i, ClassNames names) {
        int dims = 0;
        while (i < s.length() && s.charAt(i) == '[') {
            if (++dims > MAX_ARRAY_DIMENSIONS) {
                return -1;
            }
            i++;
        }
        if (i >= s.length()) {
            return -1;
        }
        char c = s.charAt(i);
        switch (c) {
            case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z' -> {
                return i + 1;
            }
            case 'L' -> {
                int start = i + 1;
                int end = start;
                while (end < s.length() && s.charAt(end) != ';') {
                    end++;
                }
                if (end >= s.length() || !isClassName(s, start, end)) {
                    return -1;
                }
                names.accept(s.substring(start, end));
                return end + 1;
            }
            default -> {
                return -1;
            }
        }
    }

    private static boolean isClassName(String s, int start, int end) {
        if (start >= end) {
            return false;
        }
        char previous = '/';
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c == '.' || c == ';' || c == '[' || c == '/' && previous == '/') {
                return false;
            }
            previous = c;
        }
        return previous != '/';
    }
}
