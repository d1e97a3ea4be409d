/** State shared by the layout and the header: the help dialog. */
class Ui {
  helpOpen = $state(false);
}

export const ui = new Ui();
