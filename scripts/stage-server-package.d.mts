export function stageServerPackage(): string;
