// TypeDoc's `requiredToBeDocumented: ["Function"]` also demands a comment on every method signature of
// every class. Strata requires docs on exported functions only (classes, interfaces, types and variables
// are checked by TypeDoc itself), so this plug-in reports exported functions without a comment.
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const project = context.project;
    for (const fn of project.getReflectionsByKind(ReflectionKind.Function)) {
      // Re-exports (the `strata` umbrella) are checked in the package that defines them.
      const home = project.getSymbolIdFromReflection(fn)?.packageName;
      if (home !== undefined && home !== project.packageName) continue;
      const documented = fn.hasComment() || (fn.signatures ?? []).some((s) => s.hasComment());
      if (!documented) {
        app.logger.validationWarning(
          `${fn.getFriendlyFullName()} (Function), defined in ${project.packageName}, does not have any documentation`,
        );
      }
    }
  });
}
