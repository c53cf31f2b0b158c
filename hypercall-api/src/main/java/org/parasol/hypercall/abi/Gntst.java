package org.parasol.hypercall.abi;

/**
 * Per-operation grant status codes ({@code GNTST_*}, signed 16-bit), mirrors
 * {@code public/grant_table.h}. They go in each operation's {@code status} field, not in the
 * hypercall's return value.
 */
public final class Gntst {
    private Gntst() {
    }

    /** {@code GNTST_okay}: success. */
    public static final int OKAY = 0;
    /** {@code GNTST_general_error}: entry not usable as asked. */
    public static final int GENERAL_ERROR = -1;
    /** {@code GNTST_bad_domain}: unknown domain. */
    public static final int BAD_DOMAIN = -2;
    /** {@code GNTST_bad_gntref}: reference out of range or bad map flags. */
    public static final int BAD_GNTREF = -3;
    /** {@code GNTST_bad_handle}: unknown maptrack handle. */
    public static final int BAD_HANDLE = -4;
    /** {@code GNTST_bad_virt_addr}: unusable virtual address. */
    public static final int BAD_VIRT_ADDR = -5;
    /** {@code GNTST_bad_dev_addr}: device address does not match the mapping. */
    public static final int BAD_DEV_ADDR = -6;
    /** {@code GNTST_no_device_space}: no room for a device mapping. */
    public static final int NO_DEVICE_SPACE = -7;
    /** {@code GNTST_permission_denied}: not allowed. */
    public static final int PERMISSION_DENIED = -8;
    /** {@code GNTST_bad_page}: bad page (transfer). */
    public static final int BAD_PAGE = -9;
    /** {@code GNTST_bad_copy_arg}: copy range outside a page. */
    public static final int BAD_COPY_ARG = -10;
    /** {@code GNTST_address_too_big}: transfer target address too big. */
    public static final int ADDRESS_TOO_BIG = -11;
    /** {@code GNTST_eagain}: frame paged out, retry. */
    public static final int EAGAIN = -12;
    /** {@code GNTST_no_space}: no free maptrack handle. */
    public static final int NO_SPACE = -13;

    /** Returns Xen's name for status {@code status} (e.g. {@code "GNTST_okay"}), or {@code null}. */
    public static String name(int status) {
        return switch (status) {
            case OKAY -> "GNTST_okay";
            case GENERAL_ERROR -> "GNTST_general_error";
            case BAD_DOMAIN -> "GNTST_bad_domain";
            case BAD_GNTREF -> "GNTST_bad_gntref";
            case BAD_HANDLE -> "GNTST_bad_handle";
            case BAD_VIRT_ADDR -> "GNTST_bad_virt_addr";
            case BAD_DEV_ADDR -> "GNTST_bad_dev_addr";
            case NO_DEVICE_SPACE -> "GNTST_no_device_space";
            case PERMISSION_DENIED -> "GNTST_permission_denied";
            case BAD_PAGE -> "GNTST_bad_page";
            case BAD_COPY_ARG -> "GNTST_bad_copy_arg";
            case ADDRESS_TOO_BIG -> "GNTST_address_too_big";
            case EAGAIN -> "GNTST_eagain";
            case NO_SPACE -> "GNTST_no_space";
            default -> null;
        };
    }
}
