package org.parasol.hypercall.io;

/** Range checks for the immutable value records: each field holds exactly what the wire can. */
final class Values {
    private Values() {
    }

    static void checkU8(String name, int value) {
        if ((value & ~0xFF) != 0) {
            throw new IllegalArgumentException(name + " is not a u8: " + value);
        }
    }

    static void checkU16(String name, int value) {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException(name + " is not a u16: " + value);
        }
    }

    static void checkS16(String name, int value) {
        if (value != (short) value) {
            throw new IllegalArgumentException(name + " is not an s16: " + value);
        }
    }

    static void checkU32(String name, long value) {
        if ((value & ~0xFFFF_FFFFL) != 0) {
            throw new IllegalArgumentException(name + " is not a u32: " + value);
        }
    }
}
