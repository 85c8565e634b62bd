// Calls to the workbench server extension (workbench/lab/handlers.py), authenticated by
// ServerConnection exactly as JupyterLab's own requests are (token / XSRF cookie).
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export interface IDiagnostic {
  severity: 'error' | 'warning' | 'note';
  notebook: string;
  message: string;
  cell: number | null;
  cell_id: string;
  line: number | null;
  name: string;
  hint: string;
}

export interface IStep {
  name: string;
  cells: { index: number; id: string }[];
  inputs: { name: string; from: string }[];
  outputs: string[];
  params: string[];
  after: string[];
  depends_on: string[];
  models: string[];
}

export interface ICellRole {
  index: number;
  id: string;
  role: string;
  step: string;
  tags: string[];
}

export interface IVocabulary {
  roles: string[];
  step_prefixes: string[];
  after_prefixes: string[];
  quiet: string[];
  kale_settings: string[];
}

export interface IStaleness {
  generated: boolean;
  stale: boolean;
  files: string[];
  message: string;
  verification: string;
}

export interface IPipeline {
  notebook: string;
  ok: boolean;
  pipeline: string;
  steps: IStep[];
  parameters: { name: string; type: string; default: string; cell: number }[];
  edges: string[][];
  cells: ICellRole[];
  diagnostics: IDiagnostic[];
  stale: IStaleness | null;
  vocabulary: IVocabulary;
}

export interface IJob {
  id: string;
  action: string;
  notebook: string;
  command: string;
  state: 'running' | 'succeeded' | 'failed';
  returncode: number | null;
  lines: string[];
  next: number;
  links: { urls: string[]; runs: { id: string; url: string; pipeline?: boolean }[] };
}

export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'workbench', endpoint);
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: a proxy's error page; its text is the message
  }
  if (!response.ok) {
    const message = (body && body.message) || text || response.statusText;
    throw new Error(`${response.status}: ${message}`);
  }
  return body as T;
}

export function fetchPipeline(path: string): Promise<IPipeline> {
  return requestAPI<IPipeline>(`pipeline?path=${encodeURIComponent(path)}`);
}

export function startJob(action: string, path: string): Promise<IJob> {
  return requestAPI<IJob>('jobs', {
    method: 'POST',
    body: JSON.stringify({ action, path })
  });
}

export function pollJob(id: string, since: number): Promise<IJob> {
  return requestAPI<IJob>(`jobs/${id}?since=${since}`);
}
