/** Room for a form upload's fields and part headers around the file, in bytes. */
export const MAX_FORM_OVERHEAD_BYTES = 64 * 1024;
/** Largest text field of a form upload (token, key, x:*), in bytes. */
export const MAX_FORM_FIELD_BYTES = 64 * 1024;
/** Most text fields in one form upload. */
export const MAX_FORM_FIELDS = 100;
