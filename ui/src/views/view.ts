// The contract between main.ts and a view.
import { Ctx } from "./common";

export interface ViewInstance {
  // update shows new URL parameters of the same view without rebuilding it.
  update(params: URLSearchParams): void;
  destroy?(): void;
}

export type Mount = (el: HTMLElement, params: URLSearchParams, ctx: Ctx) => ViewInstance;
