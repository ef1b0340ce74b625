/** Room for a form upload's fields and part headers around the file, in bytes. */
export const MAX_FORM_OVERHEAD_BYTES = 64 * 1024;
