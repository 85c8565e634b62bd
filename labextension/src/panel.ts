// The side panel: the pipeline the current notebook compiles to (steps, the names passing
// between them, parameters), its diagnostics, whether steps/ is stale, and the productionize /
// verify / run buttons with the job's live output and links to the runs it made.
import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { IJob, IPipeline, pollJob, startJob } from './api';
import { PipelineStore } from './store';

const ACTIONS: [string, string][] = [
  ['productionize', 'Productionize'],
  ['verify', 'Verify'],
  ['run', 'Run pipeline']
];
const POLL_MS = 700;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text) {
    node.textContent = text;
  }
  return node;
}

export class PipelinePanel extends Widget {
  private notebook: NotebookPanel | null = null;
  private job: IJob | null = null;
  private jobLines: string[] = [];
  private jobError = '';
  private body = el('div', 'wb-panel-body');
  private jobArea = el('div', 'wb-job');
  private buttons: HTMLButtonElement[] = [];

  constructor(private store: PipelineStore) {
    super();
    this.id = 'workbench-pipeline';
    this.title.caption = 'workbench: the pipeline this notebook compiles to';
    this.title.label = 'Pipeline';
    this.addClass('wb-panel');
    const head = el('div', 'wb-actions');
    for (const [action, label] of ACTIONS) {
      const button = el('button', 'jp-mod-styled wb-action', label);
      button.dataset.action = action;
      button.onclick = () => void this.start(action);
      this.buttons.push(button);
      head.appendChild(button);
    }
    const refresh = el('button', 'jp-mod-styled wb-refresh', '↻');
    refresh.title = 'Analyse the saved notebook again';
    refresh.onclick = () => void this.refresh();
    head.appendChild(refresh);
    this.node.append(head, this.jobArea, this.body);
    store.changed.connect((_, path) => {
      if (this.notebook && path === this.notebook.context.path) {
        this.render();
      }
    });
    this.render();
  }

  /** Follow the notebook in focus (index.ts has the store analyse it on open and on save). */
  setNotebook(panel: NotebookPanel | null): void {
    if (panel === this.notebook) {
      return;
    }
    this.notebook = panel;
    this.job = null;
    this.jobLines = [];
    this.jobError = '';
    this.render();
  }

  async refresh(): Promise<void> {
    if (this.notebook) {
      await this.store.refresh(this.notebook.context.path);
    }
  }

  private async start(action: string): Promise<void> {
    if (!this.notebook) {
      return;
    }
    const panel = this.notebook;
    if (panel.context.model.dirty) {
      await panel.context.save(); // the commands read the file, not the editor
    }
    this.jobError = '';
    try {
      this.job = await startJob(action, panel.context.path);
      this.jobLines = [...this.job.lines];
    } catch (error) {
      this.job = null;
      this.jobError = String(error);
    }
    this.renderJob();
    while (this.job && this.job.state === 'running') {
      await new Promise(resolve => setTimeout(resolve, POLL_MS));
      try {
        const next = await pollJob(this.job.id, this.job.next);
        this.jobLines.push(...next.lines);
        this.job = next;
      } catch (error) {
        this.jobError = String(error);
        break;
      }
      this.renderJob();
    }
    this.renderJob();
    await this.refresh(); // productionize / verify change what is stale
  }

  private renderJob(): void {
    const area = this.jobArea;
    area.replaceChildren();
    const running = this.job?.state === 'running';
    for (const button of this.buttons) {
      button.disabled = running || !this.notebook;
    }
    if (this.jobError) {
      area.appendChild(el('div', 'wb-error', this.jobError));
    }
    if (!this.job) {
      return;
    }
    const job = this.job;
    const status = el('div', `wb-job-status wb-job-${job.state}`);
    status.textContent = `${job.command}: ${job.state}${
      job.returncode !== null ? ` (exit ${job.returncode})` : ''
    }`;
    area.appendChild(status);
    const log = el('pre', 'wb-job-log');
    log.textContent = this.jobLines.slice(-40).join('\n');
    area.appendChild(log);
    log.scrollTop = log.scrollHeight;
    if (job.links.urls.length || job.links.runs.length) {
      const links = el('div', 'wb-job-links');
      const link = (url: string, text: string, className = '') => {
        const a = el('a', className, text);
        a.href = url;
        a.target = '_blank';
        a.rel = 'noopener';
        links.appendChild(a);
      };
      for (const run of job.links.runs) {
        link(run.url, `MLflow ${run.pipeline ? 'pipeline run' : 'run'} ${run.id}`, 'wb-run-link');
      }
      for (const url of job.links.urls) {
        link(url, url);
      }
      area.appendChild(links);
    }
  }

  private render(): void {
    this.renderJob();
    const body = this.body;
    body.replaceChildren();
    if (!this.notebook) {
      body.appendChild(el('p', 'wb-muted', 'Open a notebook to see its pipeline.'));
      return;
    }
    const path = this.notebook.context.path;
    const error = this.store.error(path);
    if (error) {
      body.appendChild(el('div', 'wb-error', `cannot analyse ${path}: ${error}`));
    }
    const pipeline = this.store.get(path);
    if (!pipeline) {
      body.appendChild(el('p', 'wb-muted', `analysing ${path}…`));
      return;
    }
    body.appendChild(el('h3', 'wb-title', `pipeline ${pipeline.pipeline}`));
    body.appendChild(el('div', 'wb-muted', `from ${pipeline.notebook} (as saved)`));
    this.renderStale(body, pipeline);
    this.renderDiagnostics(body, pipeline);
    this.renderParameters(body, pipeline);
    this.renderSteps(body, pipeline);
  }

  private renderStale(body: HTMLElement, pipeline: IPipeline): void {
    const stale = pipeline.stale;
    if (!stale) {
      return;
    }
    const box = el('div', `wb-stale ${stale.stale ? 'wb-stale-yes' : 'wb-stale-no'}`);
    box.textContent = stale.stale
      ? `steps/ is stale: ${stale.message}`
      : `steps/${pipeline.pipeline} is up to date`;
    if (stale.files.length) {
      box.title = stale.files.join('\n');
    }
    body.appendChild(box);
    if (stale.verification) {
      body.appendChild(el('div', 'wb-muted wb-verification', stale.verification));
    }
  }

  private renderDiagnostics(body: HTMLElement, pipeline: IPipeline): void {
    if (!pipeline.diagnostics.length) {
      return;
    }
    const list = el('ul', 'wb-diagnostics');
    for (const diag of pipeline.diagnostics) {
      const item = el('li', `wb-diagnostic wb-diagnostic-${diag.severity}`);
      const where = diag.cell !== null ? `cell ${diag.cell}` : pipeline.notebook;
      const line = diag.line !== null ? `, line ${diag.line}` : '';
      item.textContent = `${where}${line}: ${diag.severity}: ${diag.message}`;
      if (diag.hint) {
        item.appendChild(el('div', 'wb-hint', `hint: ${diag.hint}`));
      }
      if (diag.cell !== null) {
        item.onclick = () => this.goToCell(diag.cell_id, diag.cell as number);
      }
      list.appendChild(item);
    }
    body.appendChild(list);
  }

  private renderParameters(body: HTMLElement, pipeline: IPipeline): void {
    if (!pipeline.parameters.length) {
      return;
    }
    body.appendChild(el('h4', '', 'Parameters'));
    const table = el('table', 'wb-params');
    for (const param of pipeline.parameters) {
      const row = el('tr');
      row.append(
        el('td', 'wb-name', param.name),
        el('td', 'wb-muted', param.type),
        el('td', 'wb-default', param.default)
      );
      table.appendChild(row);
    }
    body.appendChild(table);
  }

  private renderSteps(body: HTMLElement, pipeline: IPipeline): void {
    if (!pipeline.steps.length) {
      return;
    }
    body.appendChild(el('h4', '', `Steps (${pipeline.steps.length})`));
    const list = el('ol', 'wb-steps');
    for (const step of pipeline.steps) {
      const item = el('li', 'wb-step');
      item.dataset.step = step.name;
      const name = el('div', 'wb-step-name', step.name);
      const first = step.cells[0];
      if (first) {
        name.title = `cells ${step.cells.map(c => c.index).join(', ')}: click to go there`;
        name.onclick = () => this.goToCell(first.id, first.index);
      }
      item.appendChild(name);
      for (const input of step.inputs) {
        item.appendChild(
          el('div', 'wb-io wb-input', `← ${input.name}${input.from ? ` from ${input.from}` : ''}`)
        );
      }
      for (const output of step.outputs) {
        const model = step.models.includes(output) ? ' (model)' : '';
        item.appendChild(el('div', 'wb-io wb-output', `→ ${output}${model}`));
      }
      if (step.params.length) {
        item.appendChild(el('div', 'wb-io wb-uses', `parameters: ${step.params.join(', ')}`));
      }
      if (step.after.length) {
        item.appendChild(el('div', 'wb-io wb-after', `after: ${step.after.join(', ')}`));
      }
      list.appendChild(item);
    }
    body.appendChild(list);
  }

  private goToCell(id: string, index: number): void {
    const notebook = this.notebook?.content;
    if (!notebook) {
      return;
    }
    let position = notebook.widgets.findIndex(c => c.model.id === id);
    if (position < 0) {
      position = index;
    }
    if (position >= 0 && position < notebook.widgets.length) {
      notebook.activeCellIndex = position;
      void notebook.scrollToItem(position);
    }
  }
}
