"""The one module that imports Qt (qutebrowser style): the rest of the app imports Qt names from here.

Keeping the binding behind one module makes the boundary easy to check (`grep PySide6 app/`) and a binding switch a
one-file change.
"""
# ruff: noqa: F401 - this module exists to re-export
from PySide6.QtCore import (QAbstractAnimation, QByteArray, QEasingCurve, QEvent, QMimeData, QModelIndex,
                            QObject, QPoint, QPointF, QPropertyAnimation, QRect, QRectF, QRegularExpression,
                            QRunnable, QSettings, QSize, QSizeF, QStandardPaths, Qt, QThread, QThreadPool, QTimer,
                            QUrl, Signal, Slot)
from PySide6.QtGui import (QAction, QBrush, QColor, QCursor, QDesktopServices, QDragEnterEvent, QDropEvent,
                           QFileOpenEvent, QFont, QFontDatabase, QFontMetrics, QGuiApplication, QIcon, QImage,
                           QKeyEvent, QKeySequence, QPainter, QPainterPath, QPalette, QPen, QPixmap, QResizeEvent,
                           QShortcut, QSyntaxHighlighter, QTextCharFormat, QTextCursor, QTextDocument, QTextFormat,
                           QTransform, QWheelEvent)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QButtonGroup, QCheckBox, QComboBox, QDialog,
                               QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame,
                               QGraphicsDropShadowEffect, QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem,
                               QGraphicsScene, QGraphicsView, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QMenu, QMessageBox,
                               QPlainTextEdit, QProgressBar, QPushButton, QScrollArea, QSizePolicy, QSlider,
                               QSpinBox, QSplitter, QStackedWidget, QStatusBar, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QTabWidget, QTextBrowser, QTextEdit, QToolBar, QToolButton,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)
