// Placeholder replaced by the functional Model in the next commit.
export class Model {}
