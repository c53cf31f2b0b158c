package org.parasol.hypervisor.image;

import java.util.List;

/**
 * The bytecode verifier refused an image: some class the kernel can reach breaks a rule of
 * {@link GuestApiRule}. Every violation names the class, the member and the rule, for example
 * {@code class org.example.Evil, method run()V: rule 'no host files': calls java/io/FileInputStream.<init>(Ljava/lang/String;)V}.
 */
public final class ImageRefusedException extends ImageException {
    private static final long serialVersionUID = 1L;
    private static final int LISTED = 20;

    private final transient List<Violation> violations;

    /** Refuses {@code image} for the given (non-empty) violations. */
    public ImageRefusedException(String image, List<Violation> violations) {
        super(message(image, violations));
        this.violations = List.copyOf(violations);
    }

    /** Every violation found, in class-then-code order. */
    public List<Violation> violations() {
        return violations;
    }

    private static String message(String image, List<Violation> violations) {
        StringBuilder sb = new StringBuilder("image '").append(image).append("' refused: ")
                .append(violations.size()).append(violations.size() == 1 ? " violation" : " violations");
        violations.stream().limit(LISTED).forEach(v -> sb.append("\n  ").append(v));
        if (violations.size() > LISTED) {
            sb.append("\n  ... and ").append(violations.size() - LISTED).append(" more");
        }
        return sb.toString();
    }
}
