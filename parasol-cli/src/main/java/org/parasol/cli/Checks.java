package org.parasol.cli;

/** Up-front option checks: one line naming the option and the range it must be in. */
final class Checks {
    private Checks() {
    }

    /** Null when {@code min <= v <= max}, else "OPTION must be MIN..MAX UNIT, not V". */
    static String range(String option, long v, long min, long max, String unit) {
        if (v >= min && v <= max) {
            return null;
        }
        return option + " must be " + min + ".." + max + (unit.isEmpty() ? "" : " " + unit) + ", not " + v;
    }
}
