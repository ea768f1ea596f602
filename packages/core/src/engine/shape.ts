/** A shape whose batch (and sometimes other) dimensions may be unknown. */
export type Shape = (number | null)[];
