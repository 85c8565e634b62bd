// workbench-lab: tag badges on notebook cells and the pipeline side panel.
// Data from the workbench server extension (workbench.lab), see api.ts.
import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { BadgeDecorator } from './badges';
import { PipelinePanel } from './panel';
import { PipelineStore } from './store';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'workbench-lab:plugin',
  description: 'Cell tag badges and the pipeline a notebook compiles to.',
  autoStart: true,
  requires: [INotebookTracker, ILabShell],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, shell: ILabShell) => {
    const store = new PipelineStore();
    const badges = new BadgeDecorator(store);
    const panel = new PipelinePanel(store);
    shell.add(panel, 'right', { rank: 50 });
    tracker.widgetAdded.connect((_, notebook: NotebookPanel) => {
      badges.track(notebook);
      // badges for untagged cells and diagnostics need the analysis even with the panel closed
      void notebook.context.ready.then(() => store.refresh(notebook.context.path));
      notebook.context.saveState.connect((_, state) => {
        if (state === 'completed') {
          void store.refresh(notebook.context.path);
        }
      });
    });
    tracker.currentChanged.connect((_, notebook) => panel.setNotebook(notebook));
    panel.setNotebook(tracker.currentWidget);
    app.commands.addCommand('workbench-lab:show-pipeline', {
      label: 'Show the workbench pipeline panel',
      execute: () => shell.activateById(panel.id)
    });
  }
};

export default plugin;
