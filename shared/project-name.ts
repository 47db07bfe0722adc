/**
 * What a project is called on screen: the last segment of its path ("/home/me/src/app/" → "app",
 * "C:\\work\\api" → "api"); a bare name is its own name. The full path stays the identity.
 */
export function projectName(project: string): string {
  const trimmed = project.replace(/[\\/]+$/, '');
  if (trimmed === '') return project;
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return trimmed.slice(cut + 1);
}
