/** Injection token for the app's ObjectStorage; a token, because interfaces vanish at run time. */
export const OBJECT_STORAGE = Symbol('OBJECT_STORAGE');
