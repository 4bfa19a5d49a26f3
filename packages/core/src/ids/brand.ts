declare const brand: unique symbol

/**
 * A string that has passed a parser. Only the parser of each brand casts to it, so an unchecked
 * string cannot pass as an identifier.
 */
export type Brand<T, B extends string> = T & { readonly [brand]: B }
